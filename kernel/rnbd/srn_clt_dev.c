// SPDX-License-Identifier: GPL-2.0
/*
 * stor_rnbd_client devices: blk-mq queue, the I/O path, gendisk and the
 * per-device sysfs directory /sys/block/srnbdN/stor-rnbd/.
 *
 * A request (srn_clt_queue_rq) picks a connected path, registers its pages
 * in the chunk's MR (fast registration, a fresh key each time) and posts
 * one RDMA WRITE WITH IMMEDIATE into the server chunk: for a WRITE the
 * data followed by the request header, otherwise just the header (a READ's
 * header names the MR, which the server writes the data into).  The
 * response is a SEND WITH IMMEDIATE carrying the chunk and an errno.  A
 * registered MR is invalidated before the request completes, so the
 * server cannot touch the pages afterwards.
 *
 * Without a connected path (or while the session reopens its devices), a
 * request is held: queue_rq returns BLK_STS_DEV_RESOURCE and reruns the
 * queue every SRN_CLT_HOLD_POLL_MS until a path is back or the session's
 * hold timeout has passed, then fails it.
 */
#include <linux/blk-mq.h>
#include <linux/idr.h>
#include <linux/module.h>
#include <linux/sizes.h>
#include <linux/slab.h>

#include "srn_clt.h"

#define SRN_CLT_HOLD_POLL_MS	100
#define SRN_CLT_MAX_DISKS	(1U << (MINORBITS - SRN_CLT_PART_SHIFT))

static DEFINE_IDA(srn_clt_ida);
int srn_clt_major;

const char *srn_clt_dev_state_name(int state)
{
	switch (state) {
	case SRN_CLT_DEV_OPEN:
		return "open";
	case SRN_CLT_DEV_DISCONNECTED:
		return "disconnected";
	case SRN_CLT_DEV_CLOSING:
		return "closing";
	case SRN_CLT_DEV_CLOSED:
		return "closed";
	}
	return "unknown";
}

/* ------------------------------------------------------------ I/O */

static void srn_clt_cmd_unmap(struct srn_clt_path *path,
			      struct srn_clt_cmd *cmd, struct request *rq)
{
	if (cmd->sg_cnt)
		ib_dma_unmap_sg(path->ibdev, cmd->sg, cmd->sg_cnt,
				rq_dma_dir(rq));
	cmd->sg_cnt = 0;
}

void srn_clt_iu_put(struct srn_clt_iu *iu)
{
	struct srn_clt_path *path = iu->path;
	struct srn_clt_cmd *cmd;
	struct request *rq;
	u16 err;

	if (!atomic_dec_and_test(&iu->ref))
		return;
	rq = iu->rq;
	err = iu->err;
	cmd = blk_mq_rq_to_pdu(rq);
	WRITE_ONCE(cmd->path, NULL);
	srn_clt_cmd_unmap(path, cmd, rq);
	WRITE_ONCE(iu->rq, NULL);
	atomic_dec(&path->inflight);
	blk_mq_end_request(rq, err ? errno_to_blk_status(-(int)err) :
			   BLK_STS_OK);
}

/* Teardown, after the path's QPs are drained: requeue what was in flight. */
void srn_clt_iu_reclaim(struct srn_clt_iu *iu)
{
	struct request *rq = iu->rq;
	struct srn_clt_cmd *cmd = blk_mq_rq_to_pdu(rq);

	WRITE_ONCE(cmd->path, NULL);
	srn_clt_cmd_unmap(iu->path, cmd, rq);
	iu->rq = NULL;
	iu->mr_valid = false;
	clear_bit(SRN_CLT_IU_RSP_PENDING, &iu->flags);
	atomic_dec(&iu->path->inflight);
	blk_mq_requeue_request(rq, false);
}

void srn_clt_kick_devs(struct srn_clt_sess *sess)
{
	struct srn_clt_dev *dev;

	lockdep_assert_held(&sess->lock);
	list_for_each_entry(dev, &sess->devs, list) {
		blk_mq_kick_requeue_list(dev->disk->queue);
		blk_mq_run_hw_queues(dev->disk->queue, true);
	}
}

void srn_clt_iu_send_done(struct ib_cq *cq, struct ib_wc *wc)
{
	struct srn_clt_iu *iu = container_of(wc->wr_cqe, struct srn_clt_iu,
					     send_cqe);

	if (unlikely(wc->status != IB_WC_SUCCESS)) {
		/* The request stays in flight; teardown requeues it. */
		srn_clt_wc_error(iu->path, wc, "request send");
		return;
	}
	srn_clt_iu_put(iu);
}

/* The registration is not signalled: this runs for errors only. */
void srn_clt_iu_reg_done(struct ib_cq *cq, struct ib_wc *wc)
{
	struct srn_clt_iu *iu = container_of(wc->wr_cqe, struct srn_clt_iu,
					     reg_cqe);

	srn_clt_wc_error(iu->path, wc, "memory registration");
}

void srn_clt_iu_inv_done(struct ib_cq *cq, struct ib_wc *wc)
{
	struct srn_clt_iu *iu = container_of(wc->wr_cqe, struct srn_clt_iu,
					     inv_cqe);

	if (unlikely(wc->status != IB_WC_SUCCESS)) {
		srn_clt_wc_error(iu->path, wc, "invalidation");
		return;
	}
	iu->mr_valid = false;
	srn_clt_iu_put(iu);
}

/* The data RDMA WRITEs of a direct write are unsignalled: errors only. */
void srn_clt_iu_data_done(struct ib_cq *cq, struct ib_wc *wc)
{
	struct srn_clt_iu *iu = container_of(wc->wr_cqe, struct srn_clt_iu,
					     data_cqe);

	srn_clt_wc_error(iu->path, wc, "data write");
}

/* The response of a small read: copy the data into the request's pages. */
static void srn_clt_rb_copy(struct srn_clt_iu *iu, struct request *rq)
{
	struct req_iterator iter;
	struct bio_vec bv;
	size_t off = 0;

	ib_dma_sync_single_for_cpu(iu->path->ibdev, iu->rb_dma,
				   blk_rq_bytes(rq), DMA_FROM_DEVICE);
	rq_for_each_segment(bv, rq, iter) {
		memcpy_to_bvec(&bv, iu->rb + off);
		off += bv.bv_len;
	}
}

void srn_clt_io_recv_done(struct ib_cq *cq, struct ib_wc *wc)
{
	struct srn_clt_con *con = cq->cq_context;
	struct srn_clt_path *path = con->path;
	struct ib_recv_wr rwr = {};
	struct srn_clt_iu *iu;
	u32 imm, chunk;

	if (unlikely(wc->status != IB_WC_SUCCESS)) {
		srn_clt_wc_error(path, wc, "response receive");
		return;
	}
	if (wc->opcode != IB_WC_RECV || !(wc->wc_flags & IB_WC_WITH_IMM)) {
		srn_clt_path_fail(path, "unexpected message on an I/O connection");
		return;
	}
	rwr.wr_cqe = &con->recv_cqe;
	if (ib_post_recv(con->qp, &rwr, NULL)) {
		srn_clt_path_fail(path, "cannot post a receive");
		return;
	}
	imm = be32_to_cpu(wc->ex.imm_data);
	chunk = srn_imm_chunk(imm);
	if (chunk >= path->sess->queue_depth) {
		srn_clt_path_fail(path, "response for a chunk out of range");
		return;
	}
	iu = &path->ius[chunk];
	if (!test_and_clear_bit(SRN_CLT_IU_RSP_PENDING, &iu->flags)) {
		srn_clt_path_fail(path, "response for an idle chunk");
		return;
	}
	WRITE_ONCE(path->last_rx, jiffies);
	iu->err = srn_imm_hi(imm);
	if (iu->rb_read && !iu->err)
		srn_clt_rb_copy(iu, iu->rq);
	if (iu->mr_valid) {
		struct ib_send_wr inv = {
			.opcode = IB_WR_LOCAL_INV,
			.wr_cqe = &iu->inv_cqe,
			.send_flags = IB_SEND_SIGNALED,
			.ex.invalidate_rkey = iu->mr->rkey,
		};

		if (ib_post_send(con->qp, &inv, NULL))
			srn_clt_path_fail(path, "cannot post an invalidation");
		return;
	}
	srn_clt_iu_put(iu);
}

static struct srn_clt_path *srn_clt_pick_path(struct srn_clt_sess *sess)
{
	struct srn_clt_path *path, *best = NULL;
	unsigned int i, start, n;

	n = srn_clt_nr_paths(sess);
	if (!n)
		return NULL;
	if (READ_ONCE(sess->mp_policy) == SRN_MP_MIN_INFLIGHT) {
		for (i = 0; i < n; i++) {
			path = READ_ONCE(sess->paths[i]);
			if (!srn_clt_path_connected(path))
				continue;
			if (!best || atomic_read(&path->inflight) <
				     atomic_read(&best->inflight))
				best = path;
		}
		return best;
	}
	start = atomic_inc_return(&sess->rr);
	for (i = 0; i < n; i++) {
		path = READ_ONCE(sess->paths[(start + i) % n]);
		if (srn_clt_path_connected(path))
			return path;
	}
	return NULL;
}

static blk_status_t srn_clt_hold(struct srn_clt_dev *dev,
				 struct blk_mq_hw_ctx *hctx,
				 struct srn_clt_cmd *cmd)
{
	unsigned int ms = READ_ONCE(dev->sess->hold_timeout_ms);

	if (!cmd->hold_since) {
		cmd->hold_since = jiffies | 1;
	} else if (time_after(jiffies,
			      cmd->hold_since + msecs_to_jiffies(ms))) {
		cmd->hold_since = 0;
		return BLK_STS_IOERR;
	}
	if (!ms) {
		cmd->hold_since = 0;
		return BLK_STS_IOERR;
	}
	blk_mq_delay_run_hw_queue(hctx, SRN_CLT_HOLD_POLL_MS);
	return BLK_STS_DEV_RESOURCE;
}

/* DMA-map the request's pages into cmd->sg; returns the mapped count. */
static int srn_clt_dma_map(struct srn_clt_path *path, struct request *rq,
			   struct srn_clt_cmd *cmd)
{
	int nents, cnt;

	sg_init_table(cmd->sg, path->sess->max_segments);
	nents = blk_rq_map_sg(rq->q, rq, cmd->sg);
	if (nents <= 0)
		return -EIO;
	cnt = ib_dma_map_sg(path->ibdev, cmd->sg, nents, rq_dma_dir(rq));
	if (!cnt)
		return -ENOMEM;
	cmd->sg_cnt = nents;
	return cnt;
}

/* @reg: a fast registration of @mr under its current key. */
static void srn_clt_reg_wr(struct ib_reg_wr *reg, struct srn_clt_iu *iu,
			   struct ib_mr *mr, int access)
{
	memset(reg, 0, sizeof(*reg));
	reg->wr.opcode = IB_WR_REG_MR;
	reg->wr.wr_cqe = &iu->reg_cqe;
	reg->mr = mr;
	reg->key = mr->rkey;
	reg->access = access;
}

/* Register the mapped pages in iu->mr: the REG_MR work request in @reg. */
static int srn_clt_reg_mr(struct srn_clt_path *path, struct srn_clt_iu *iu,
			  struct request *rq, struct srn_clt_cmd *cmd, int cnt,
			  struct ib_reg_wr *reg)
{
	int n;

	n = ib_map_mr_sg(iu->mr, cmd->sg, cnt, NULL, PAGE_SIZE);
	if (n != cnt)
		return n < 0 ? n : -EINVAL;
	ib_update_fast_reg_key(iu->mr, ib_inc_rkey(iu->mr->rkey));
	srn_clt_reg_wr(reg, iu, iu->mr, rq_data_dir(rq) == READ ?
		       IB_ACCESS_LOCAL_WRITE | IB_ACCESS_REMOTE_WRITE :
		       IB_ACCESS_LOCAL_WRITE);
	return 0;
}

/*
 * A write without a memory registration: its @cnt mapped pages and then
 * the request header, from their DMA addresses with the PD's local DMA
 * lkey, in up to SRN_CLT_WRITE_WRS RDMA WRITEs to consecutive places of
 * the server chunk.  All but the last are unsignalled; the last is the
 * RDMA WRITE WITH IMMEDIATE, and on a reliable connection it lands after
 * the others.  On success sets *@first to the chain to post and *@last to
 * the WRITE WITH IMMEDIATE (the caller fills in its opcode, completion and
 * immediate).  Returns false, changing neither, if the pages do not fit
 * or direct writes are off (the caller registers an MR instead).
 */
static bool srn_clt_write_direct(struct srn_clt_path *path,
				 struct srn_clt_iu *iu, struct srn_clt_cmd *cmd,
				 int cnt, u32 len, struct ib_send_wr **first,
				 struct ib_rdma_wr **last)
{
	u32 per_wr = path->sge_per_wr, nsge = cnt + 1, off = 0, i, k, nwr;
	u64 raddr = path->chunks[iu->chunk].addr;
	struct scatterlist *sg;
	struct ib_rdma_wr *w;

	if (!READ_ONCE(srn_clt_direct_writes))
		return false;
	nwr = DIV_ROUND_UP(nsge, per_wr);
	if (nwr > SRN_CLT_WRITE_WRS)
		return false;
	for_each_sg(cmd->sg, sg, cnt, i) {
		iu->sge[i].addr = sg_dma_address(sg);
		iu->sge[i].length = sg_dma_len(sg);
		iu->sge[i].lkey = path->pd->local_dma_lkey;
		off += sg_dma_len(sg);
	}
	if (off != len)
		return false;
	iu->sge[cnt].addr = iu->req_dma;
	iu->sge[cnt].length = sizeof(*iu->req);
	iu->sge[cnt].lkey = path->pd->local_dma_lkey;

	off = 0;
	for (k = 0; k < nwr; k++) {
		w = &iu->wrs[k];
		memset(w, 0, sizeof(*w));
		w->wr.sg_list = &iu->sge[k * per_wr];
		w->wr.num_sge = min(per_wr, nsge - k * per_wr);
		w->remote_addr = raddr + off;
		w->rkey = path->chunks[iu->chunk].rkey;
		for (i = 0; i < w->wr.num_sge; i++)
			off += w->wr.sg_list[i].length;
		if (k + 1 < nwr) {
			w->wr.opcode = IB_WR_RDMA_WRITE;
			w->wr.wr_cqe = &iu->data_cqe;
			w->wr.next = &iu->wrs[k + 1].wr;
		}
	}
	*first = &iu->wrs[0].wr;
	*last = w;
	return true;
}

/*
 * A small read lands in @iu's buffer: point the request at it and, the
 * first time, register it (@reg, chained before the request; an iu is
 * used again only after its previous request completed, so the
 * registration has run by then, whichever connection carries the next).
 */
static void srn_clt_rb_prepare(struct srn_clt_path *path,
			       struct srn_clt_iu *iu, u32 len,
			       struct ib_reg_wr *reg, struct ib_send_wr **first)
{
	struct srn_io_req *req = iu->req;

	ib_dma_sync_single_for_device(path->ibdev, iu->rb_dma, len,
				      DMA_FROM_DEVICE);
	req->raddr = cpu_to_le64(iu->rb_mr->iova);
	req->rkey = cpu_to_le32(iu->rb_mr->rkey);
	iu->rb_read = true;
	atomic64_inc(&path->nr_bounce_reads);
	if (iu->rb_registered)
		return;
	srn_clt_reg_wr(reg, iu, iu->rb_mr,
		       IB_ACCESS_LOCAL_WRITE | IB_ACCESS_REMOTE_WRITE);
	reg->wr.next = *first;
	*first = &reg->wr;
	iu->rb_registered = true;
}

static blk_status_t srn_clt_submit(struct srn_clt_path *path,
				   struct blk_mq_hw_ctx *hctx,
				   struct request *rq, struct srn_clt_dev *dev)
{
	struct srn_clt_sess *sess = dev->sess;
	struct srn_clt_cmd *cmd = blk_mq_rq_to_pdu(rq);
	u32 chunk = hctx->queue_num * sess->depth_per_queue + rq->tag;
	struct srn_clt_con *con = path->cons[1 + hctx->queue_num];
	u32 len = blk_rq_bytes(rq), flags = 0, hdr_off = 0;
	struct srn_clt_iu *iu;
	struct srn_io_req *req;
	struct ib_rdma_wr local_wr = {}, *wr = &local_wr;
	struct ib_reg_wr reg;
	struct ib_send_wr *first = &wr->wr;
	struct ib_sge sge[2];
	bool data = false;
	int n = 0, ret;
	u8 op;

	switch (req_op(rq)) {
	case REQ_OP_READ:
		op = SRN_OP_READ;
		data = true;
		break;
	case REQ_OP_WRITE:
		op = SRN_OP_WRITE;
		data = true;
		if (rq->cmd_flags & REQ_FUA)
			flags |= SRN_IO_FUA;
		if (rq->cmd_flags & REQ_PREFLUSH)
			flags |= SRN_IO_PREFLUSH;
		break;
	case REQ_OP_FLUSH:
		op = SRN_OP_FLUSH;
		len = 0;
		break;
	case REQ_OP_DISCARD:
		op = SRN_OP_DISCARD;
		break;
	case REQ_OP_WRITE_ZEROES:
		op = SRN_OP_WRITE_ZEROES;
		if (rq->cmd_flags & REQ_NOUNMAP)
			flags |= SRN_IO_NOUNMAP;
		break;
	default:
		return BLK_STS_NOTSUPP;
	}
	if (rq->cmd_flags & REQ_SYNC)
		flags |= SRN_IO_SYNC;
	if (WARN_ON_ONCE(chunk >= sess->queue_depth || !con))
		return BLK_STS_IOERR;
	iu = &path->ius[chunk];
	if (WARN_ON_ONCE(iu->rq))
		return BLK_STS_IOERR;
	if (data && (!len || len > sess->max_io_size))
		return BLK_STS_IOERR;

	blk_mq_start_request(rq);
	cmd->hold_since = 0;
	cmd->sg_cnt = 0;
	cmd->iu = iu;

	req = iu->req;
	memset(req, 0, sizeof(*req));
	req->magic = cpu_to_le16(SRN_MAGIC);
	req->op = op;
	req->flags = cpu_to_le32(flags);
	req->dev_id = cpu_to_le32(READ_ONCE(dev->dev_id));
	req->len = cpu_to_le32(len);
	if (op != SRN_OP_FLUSH)
		req->sector = cpu_to_le64(blk_rq_pos(rq));

	iu->rb_read = false;
	if (op == SRN_OP_READ && iu->rb && len <= path->rb_size) {
		srn_clt_rb_prepare(path, iu, len, &reg, &first);
	} else if (data) {
		int cnt = srn_clt_dma_map(path, rq, cmd);

		if (cnt < 0)
			return BLK_STS_RESOURCE;
		if (op == SRN_OP_WRITE) {
			if (srn_clt_write_direct(path, iu, cmd, cnt, len,
						 &first, &wr)) {
				hdr_off = len;
				goto post;
			}
			atomic64_inc(&path->nr_mr_writes);
		}
		ret = srn_clt_reg_mr(path, iu, rq, cmd, cnt, &reg);
		if (ret) {
			srn_clt_cmd_unmap(path, cmd, rq);
			return BLK_STS_RESOURCE;
		}
		reg.wr.next = &wr->wr;
		first = &reg.wr;
		iu->mr_valid = true;
		if (op == SRN_OP_READ) {
			req->raddr = cpu_to_le64(iu->mr->iova);
			req->rkey = cpu_to_le32(iu->mr->rkey);
		} else {
			sge[n].addr = iu->mr->iova;
			sge[n].length = len;
			sge[n].lkey = iu->mr->lkey;
			n++;
			hdr_off = len;
		}
	}
	sge[n].addr = iu->req_dma;
	sge[n].length = sizeof(*req);
	sge[n].lkey = path->pd->local_dma_lkey;
	n++;
	wr->wr.sg_list = sge;
	wr->wr.num_sge = n;
	wr->remote_addr = path->chunks[chunk].addr;
	wr->rkey = path->chunks[chunk].rkey;
post:
	ib_dma_sync_single_for_device(path->ibdev, iu->req_dma, sizeof(*req),
				      DMA_TO_DEVICE);
	wr->wr.opcode = IB_WR_RDMA_WRITE_WITH_IMM;
	wr->wr.wr_cqe = &iu->send_cqe;
	wr->wr.send_flags = IB_SEND_SIGNALED;
	wr->wr.ex.imm_data = cpu_to_be32(srn_imm_pack(chunk,
						      hdr_off / SRN_IO_ALIGN));

	iu->err = 0;
	atomic_set(&iu->ref, 2);
	WRITE_ONCE(iu->rq, rq);
	WRITE_ONCE(cmd->path, path);
	set_bit(SRN_CLT_IU_RSP_PENDING, &iu->flags);
	atomic_inc(&path->inflight);
	atomic64_inc(&path->nr_requests);
	if (hctx->type == HCTX_TYPE_POLL)
		atomic64_inc(&path->nr_polled);
	ret = ib_post_send(con->qp, first, NULL);
	if (unlikely(ret)) {
		clear_bit(SRN_CLT_IU_RSP_PENDING, &iu->flags);
		WRITE_ONCE(cmd->path, NULL);
		WRITE_ONCE(iu->rq, NULL);
		atomic_dec(&path->inflight);
		srn_clt_cmd_unmap(path, cmd, rq);
		srn_clt_path_fail(path, "cannot post a request");
		/* Retried, on another path if there is one. */
		return BLK_STS_RESOURCE;
	}
	return BLK_STS_OK;
}

static blk_status_t srn_clt_queue_rq(struct blk_mq_hw_ctx *hctx,
				     const struct blk_mq_queue_data *bd)
{
	struct request *rq = bd->rq;
	struct srn_clt_dev *dev = hctx->queue->queuedata;
	struct srn_clt_cmd *cmd = blk_mq_rq_to_pdu(rq);
	int state = READ_ONCE(dev->state);
	struct srn_clt_path *path = NULL;
	blk_status_t ret;

	if ((state == SRN_CLT_DEV_CLOSING && READ_ONCE(dev->force)) ||
	    state == SRN_CLT_DEV_CLOSED) {
		cmd->hold_since = 0;
		return BLK_STS_IOERR;
	}
	rcu_read_lock();
	if (state != SRN_CLT_DEV_DISCONNECTED)
		path = srn_clt_pick_path(dev->sess);
	if (!path) {
		rcu_read_unlock();
		return srn_clt_hold(dev, hctx, cmd);
	}
	ret = srn_clt_submit(path, hctx, rq, dev);
	rcu_read_unlock();
	return ret;
}

/*
 * A dead server is found by the heartbeat.  A request unanswered for the
 * queue's io_timeout while the server still answers heartbeats fails its
 * path: teardown requeues the request, which goes out again on another
 * path or after the reconnect.  A held request (no path) keeps waiting:
 * io_hold_timeout_ms decides for it.
 */
static enum blk_eh_timer_return srn_clt_timeout(struct request *rq)
{
	struct srn_clt_cmd *cmd = blk_mq_rq_to_pdu(rq);
	struct srn_clt_path *path;

	rcu_read_lock();
	path = READ_ONCE(cmd->path);
	if (srn_clt_path_connected(path)) {
		pr_warn_ratelimited("stor_rnbd_client: session %s: no response for %u ms\n",
				    path->sess->name,
				    jiffies_to_msecs(rq->q->rq_timeout));
		srn_clt_path_fail(path, "request timed out");
	}
	rcu_read_unlock();
	return BLK_EH_RESET_TIMER;
}

/*
 * Hardware queue i sends on I/O connection i + 1 of whichever path is
 * picked; the last nr_poll_queues of them take REQ_POLLED I/O only.
 */
static void srn_clt_map_queues(struct blk_mq_tag_set *set)
{
	struct srn_clt_sess *sess = set->driver_data;
	unsigned int poll = sess->nr_poll_queues;
	struct blk_mq_queue_map *map;

	map = &set->map[HCTX_TYPE_DEFAULT];
	map->nr_queues = sess->nr_io_cons - poll;
	map->queue_offset = 0;
	blk_mq_map_queues(map);
	if (set->nr_maps <= HCTX_TYPE_POLL)
		return;
	/* No separate read queues: reads use the default map. */
	set->map[HCTX_TYPE_READ].nr_queues = 0;
	map = &set->map[HCTX_TYPE_POLL];
	map->nr_queues = poll;
	map->queue_offset = sess->nr_io_cons - poll;
	blk_mq_map_queues(map);
}

/*
 * Polls the CQ of this hardware queue's connection on every connected
 * path (a request may have gone out on any of them).  Under RCU:
 * teardown waits for a grace period after a path leaves CONNECTED, before
 * it drains and frees the CQs.  The completion handlers do not sleep.
 */
static int srn_clt_poll(struct blk_mq_hw_ctx *hctx, struct io_comp_batch *iob)
{
	struct srn_clt_dev *dev = hctx->queue->queuedata;
	struct srn_clt_sess *sess = dev->sess;
	struct srn_clt_path *path;
	struct srn_clt_con *con;
	unsigned int i, n;
	int found = 0;

	rcu_read_lock();
	n = srn_clt_nr_paths(sess);
	for (i = 0; i < n; i++) {
		path = READ_ONCE(sess->paths[i]);
		if (!srn_clt_path_connected(path))
			continue;
		con = path->cons[1 + hctx->queue_num];
		if (con && con->cq)
			found += ib_process_cq_direct(con->cq, 64);
	}
	rcu_read_unlock();
	return found;
}

static const struct blk_mq_ops srn_clt_mq_ops = {
	.queue_rq	= srn_clt_queue_rq,
	.timeout	= srn_clt_timeout,
	.map_queues	= srn_clt_map_queues,
	.poll		= srn_clt_poll,
};

int srn_clt_tag_set_init(struct srn_clt_sess *sess)
{
	struct blk_mq_tag_set *set = &sess->tag_set;
	int ret;

	memset(set, 0, sizeof(*set));
	set->ops = &srn_clt_mq_ops;
	set->nr_hw_queues = sess->nr_io_cons;
	set->nr_maps = sess->nr_poll_queues ? HCTX_MAX_TYPES : 1;
	set->queue_depth = sess->depth_per_queue;
	set->numa_node = NUMA_NO_NODE;
	set->cmd_size = sizeof(struct srn_clt_cmd) +
			sess->max_segments * sizeof(struct scatterlist);
	set->flags = BLK_MQ_F_SHOULD_MERGE;
	set->driver_data = sess;
	set->timeout = 30 * HZ;
	ret = blk_mq_alloc_tag_set(set);
	if (!ret)
		sess->tag_set_ready = true;
	return ret;
}

/* ------------------------------------------------------------ gendisk */

/* Called with disk->open_mutex held, which unmap also takes. */
static int srn_clt_open_disk(struct gendisk *disk, bool for_write)
{
	struct srn_clt_dev *dev = disk->private_data;

	if (dev->state == SRN_CLT_DEV_CLOSING)
		return -ENXIO;
	if (for_write && dev->read_only)
		return -EROFS;
	dev->open_count++;
	return 0;
}

static void srn_clt_release_disk(struct gendisk *disk)
{
	struct srn_clt_dev *dev = disk->private_data;

	dev->open_count--;
}

STOR_DEFINE_BDEV_OPEN(srn_clt)
STOR_DEFINE_BDEV_RELEASE(srn_clt)

static void srn_clt_free_disk(struct gendisk *disk)
{
	struct srn_clt_dev *dev = disk->private_data;

	kobject_put(&dev->kobj);
}

static const struct block_device_operations srn_clt_fops = {
	.owner		= THIS_MODULE,
	.open		= srn_clt_open,
	.release	= srn_clt_release,
	.free_disk	= srn_clt_free_disk,
};

/* ------------------------------------------------------------ sysfs */

#define to_srn_dev(k) container_of(k, struct srn_clt_dev, kobj)

static ssize_t state_show(struct kobject *kobj, struct kobj_attribute *attr,
			  char *buf)
{
	return sysfs_emit(buf, "%s\n",
			  srn_clt_dev_state_name(READ_ONCE(to_srn_dev(kobj)->state)));
}

static struct kobj_attribute srn_dev_attr_state = __ATTR_RO(state);

static ssize_t session_show(struct kobject *kobj, struct kobj_attribute *attr,
			    char *buf)
{
	return sysfs_emit(buf, "%s\n", to_srn_dev(kobj)->sess->name);
}

static struct kobj_attribute srn_dev_attr_session = __ATTR_RO(session);

static ssize_t mapping_path_show(struct kobject *kobj,
				 struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%s\n", to_srn_dev(kobj)->mapping_path);
}

static struct kobj_attribute srn_dev_attr_mapping_path = __ATTR_RO(mapping_path);

static ssize_t access_mode_show(struct kobject *kobj,
				struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%s\n",
			  srn_access_name(to_srn_dev(kobj)->access_mode));
}

static struct kobj_attribute srn_dev_attr_access_mode = __ATTR_RO(access_mode);

static ssize_t unmap_device_show(struct kobject *kobj,
				 struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "Usage: echo <normal|force> > unmap_device\n");
}

static ssize_t unmap_device_store(struct kobject *kobj,
				  struct kobj_attribute *attr,
				  const char *buf, size_t count);

static struct kobj_attribute srn_dev_attr_unmap_device = __ATTR_RW(unmap_device);

static ssize_t resize_show(struct kobject *kobj, struct kobj_attribute *attr,
			   char *buf)
{
	return sysfs_emit(buf, "Usage: echo <size in 512-byte sectors> > resize\n");
}

static ssize_t resize_store(struct kobject *kobj, struct kobj_attribute *attr,
			    const char *buf, size_t count);

static struct kobj_attribute srn_dev_attr_resize = __ATTR_RW(resize);

static ssize_t remap_device_show(struct kobject *kobj,
				 struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "Usage: echo 1 > remap_device\n");
}

static ssize_t remap_device_store(struct kobject *kobj,
				  struct kobj_attribute *attr,
				  const char *buf, size_t count);

static struct kobj_attribute srn_dev_attr_remap_device = __ATTR_RW(remap_device);

static struct attribute *srn_clt_dev_attrs[] = {
	&srn_dev_attr_state.attr,
	&srn_dev_attr_session.attr,
	&srn_dev_attr_mapping_path.attr,
	&srn_dev_attr_access_mode.attr,
	&srn_dev_attr_unmap_device.attr,
	&srn_dev_attr_resize.attr,
	&srn_dev_attr_remap_device.attr,
	NULL,
};
ATTRIBUTE_GROUPS(srn_clt_dev);

static void srn_clt_dev_kobj_release(struct kobject *kobj)
{
	struct srn_clt_dev *dev = to_srn_dev(kobj);
	struct srn_clt_sess *sess = dev->sess;

	if (dev->idx >= 0)
		ida_free(&srn_clt_ida, dev->idx);
	kfree(dev);
	if (sess)
		srn_clt_sess_put(sess);
}

static const struct kobj_type srn_clt_dev_ktype = {
	.sysfs_ops	= &kobj_sysfs_ops,
	.default_groups	= srn_clt_dev_groups,
	.release	= srn_clt_dev_kobj_release,
};

/* ------------------------------------------------------------ lifecycle */

static void srn_clt_dev_config(struct srn_clt_sess *sess,
			       const struct srn_open_rsp *rsp, bool read_only,
			       struct stor_mq_config *cfg)
{
	u32 flags = le32_to_cpu(rsp->flags);
	u32 max_hw = le32_to_cpu(rsp->max_hw_sectors);
	u32 lbs = le32_to_cpu(rsp->logical_block_size);

	memset(cfg, 0, sizeof(*cfg));
	cfg->logical_block_size = lbs;
	cfg->physical_block_size = min_t(u32,
					 le32_to_cpu(rsp->physical_block_size),
					 PAGE_SIZE);
	cfg->max_hw_sectors = sess->max_io_size >> SECTOR_SHIFT;
	if (max_hw >= (lbs >> SECTOR_SHIFT))
		cfg->max_hw_sectors = min(cfg->max_hw_sectors, max_hw);
	cfg->max_segments = sess->max_segments;
	cfg->virt_boundary_mask = PAGE_SIZE - 1;
	if (!read_only) {
		cfg->max_discard_sectors =
			min_t(u32, le32_to_cpu(rsp->max_discard_sectors),
			      UINT_MAX >> SECTOR_SHIFT);
		/* Whatever the server says, a multiple of the block size. */
		cfg->discard_granularity =
			le32_to_cpu(rsp->discard_granularity);
		if (cfg->discard_granularity % lbs ||
		    cfg->discard_granularity > SZ_1G)
			cfg->discard_granularity = lbs;
		cfg->discard_granularity = max(cfg->discard_granularity, lbs);
		cfg->max_write_zeroes_sectors =
			min_t(u32, le32_to_cpu(rsp->max_write_zeroes_sectors),
			      UINT_MAX >> SECTOR_SHIFT);
	}
	cfg->write_cache = flags & SRN_DEV_WRITE_CACHE;
	cfg->fua = flags & SRN_DEV_FUA;
	cfg->rotational = flags & SRN_DEV_ROTATIONAL;
}

/*
 * Create (but do not yet add) the device for an opened remote device.
 * sess->lock held; the caller adds it to sess->devs and then calls
 * srn_clt_dev_add() without the lock.
 */
struct srn_clt_dev *srn_clt_dev_create(struct srn_clt_sess *sess,
				       const char *dev_path, u32 access_mode,
				       const struct srn_open_rsp *rsp)
{
	struct stor_mq_config cfg;
	struct srn_clt_dev *dev;
	struct gendisk *disk;
	int ret;

	dev = kzalloc(sizeof(*dev), GFP_KERNEL);
	if (!dev)
		return ERR_PTR(-ENOMEM);
	kobject_init(&dev->kobj, &srn_clt_dev_ktype);
	dev->idx = ida_alloc_max(&srn_clt_ida, SRN_CLT_MAX_DISKS - 1,
				 GFP_KERNEL);
	if (dev->idx < 0) {
		ret = dev->idx;
		goto err;
	}
	kobject_get(&sess->kobj);
	dev->sess = sess;
	dev->dev_id = le32_to_cpu(rsp->dev_id);
	dev->access_mode = access_mode;
	dev->read_only = access_mode == SRN_ACCESS_RO ||
			 (le32_to_cpu(rsp->flags) & SRN_DEV_READ_ONLY);
	dev->nr_sectors = le64_to_cpu(rsp->nr_sectors);
	dev->state = SRN_CLT_DEV_OPEN;
	strscpy(dev->mapping_path, dev_path, sizeof(dev->mapping_path));

	srn_clt_dev_config(sess, rsp, dev->read_only, &cfg);
	disk = stor_mq_alloc_disk(&sess->tag_set, &cfg, dev);
	if (IS_ERR(disk)) {
		ret = PTR_ERR(disk);
		goto err;
	}
	disk->major = srn_clt_major;
	disk->first_minor = dev->idx << SRN_CLT_PART_SHIFT;
	disk->minors = 1 << SRN_CLT_PART_SHIFT;
	disk->fops = &srn_clt_fops;
	disk->private_data = dev;
	snprintf(disk->disk_name, DISK_NAME_LEN, SRN_CLT_DISK_PREFIX "%d",
		 dev->idx);
	set_capacity(disk, dev->nr_sectors);
	if (dev->read_only)
		set_disk_ro(disk, true);
	dev->disk = disk;
	return dev;
err:
	kobject_put(&dev->kobj);
	return ERR_PTR(ret);
}

/*
 * Register the disk and its sysfs directory.  No lock held.  On failure
 * the disk is not (or no longer) visible; srn_clt_dev_discard() frees it.
 */
int srn_clt_dev_add(struct srn_clt_dev *dev)
{
	int ret;

	ret = add_disk(dev->disk);
	if (ret)
		return ret;
	/* The disk holds a reference from now on, dropped in free_disk. */
	kobject_get(&dev->kobj);
	ret = kobject_add(&dev->kobj, &disk_to_dev(dev->disk)->kobj,
			  "stor-rnbd");
	if (ret) {
		/* Without its directory it could not be unmapped. */
		pr_warn("stor_rnbd_client: %s: no sysfs directory: %d\n",
			dev->disk->disk_name, ret);
		del_gendisk(dev->disk);
		return ret;
	}
	pr_info("stor_rnbd_client: session %s: mapped %s as %s (%s, %llu sectors)\n",
		dev->sess->name, dev->mapping_path, dev->disk->disk_name,
		srn_access_name(dev->access_mode), dev->nr_sectors);
	if (STOR_POLLED_SPLIT_HANGS && dev->sess->nr_poll_queues)
		pr_warn("stor_rnbd_client: %s: on this kernel polled I/O the block layer must split (over %u KiB or %u segments) never completes: the split fails with EAGAIN, which io_uring retries forever\n",
			dev->disk->disk_name, dev->sess->max_io_size >> 10,
			dev->sess->max_segments);
	return 0;
}

/* Undo srn_clt_dev_create() for a device never added. */
void srn_clt_dev_discard(struct srn_clt_dev *dev)
{
	put_disk(dev->disk);
	kobject_put(&dev->kobj);
}

/* sess->lock held: the server opened the device again after a reconnect. */
void srn_clt_dev_reopened(struct srn_clt_dev *dev,
			  const struct srn_open_rsp *rsp)
{
	u64 sectors = le64_to_cpu(rsp->nr_sectors);

	lockdep_assert_held(&dev->sess->lock);
	if (dev->state != SRN_CLT_DEV_DISCONNECTED)
		return;
	WRITE_ONCE(dev->dev_id, le32_to_cpu(rsp->dev_id));
	if (sectors != dev->nr_sectors) {
		pr_info("stor_rnbd_client: %s: size changed from %llu to %llu sectors\n",
			dev->disk->disk_name, dev->nr_sectors, sectors);
		dev->nr_sectors = sectors;
		set_capacity_and_notify(dev->disk, sectors);
	}
	WRITE_ONCE(dev->state, SRN_CLT_DEV_OPEN);
}

/**
 * srn_clt_dev_event - an event the server announced for one of its devices
 * @sess: the session (sess->lock held)
 * @ev: the event
 *
 * SRN_DEV_EV_SIZE: the device with that id takes the new size,
 * whatever resize set before.  SRN_DEV_EV_CLOSED: the device becomes
 * "closed": its I/O, held I/O included, fails at once, a reconnect does
 * not reopen it, and remap_device opens it again.  An event for an id no
 * longer in use (the device was remapped or unmapped meanwhile) is
 * dropped, and so is an unknown type.
 */
void srn_clt_dev_event(struct srn_clt_sess *sess,
		       const struct srn_dev_event *ev)
{
	u64 value = le64_to_cpu(ev->value);
	struct srn_clt_dev *dev;
	bool found = false;

	lockdep_assert_held(&sess->lock);
	list_for_each_entry(dev, &sess->devs, list) {
		if (dev->dev_id == le32_to_cpu(ev->dev_id) &&
		    (dev->state == SRN_CLT_DEV_OPEN ||
		     dev->state == SRN_CLT_DEV_DISCONNECTED)) {
			found = true;
			break;
		}
	}
	if (!found)
		return;
	switch (le16_to_cpu(ev->type)) {
	case SRN_DEV_EV_SIZE:
		if (!value ||
		    !IS_ALIGNED(value << SECTOR_SHIFT,
				queue_logical_block_size(dev->disk->queue))) {
			pr_warn("stor_rnbd_client: %s: the server announced a size of %llu sectors, ignored\n",
				dev->disk->disk_name, value);
			return;
		}
		dev->nr_sectors = value;
		if (get_capacity(dev->disk) == value)
			return;
		pr_info("stor_rnbd_client: %s: the server's device is now %llu sectors, resized\n",
			dev->disk->disk_name, value);
		set_capacity_and_notify(dev->disk, value);
		break;
	case SRN_DEV_EV_CLOSED:
		pr_warn("stor_rnbd_client: %s: closed by the server, I/O fails until remap_device\n",
			dev->disk->disk_name);
		/* Held requests fail at their next run (srn_clt_hold()). */
		WRITE_ONCE(dev->state, SRN_CLT_DEV_CLOSED);
		break;
	default:
		break;
	}
}

/*
 * Unmap @dev: refuse if open (unless @force), fail held I/O if @force,
 * delete the disk, close it on the server.  srn_clt_lock held.  @self is
 * the sysfs attribute being written, removed once the unmap is certain.
 */
static int srn_clt_dev_do_unmap(struct srn_clt_dev *dev, bool force,
				const struct attribute *self)
{
	struct srn_clt_sess *sess = dev->sess;
	struct gendisk *disk = dev->disk;
	struct srn_clt_path *path;
	bool server_closed;
	int ret = 0;

	mutex_lock(&sess->lock);
	mutex_lock(&disk->open_mutex);
	server_closed = dev->state == SRN_CLT_DEV_CLOSED;
	if (dev->state == SRN_CLT_DEV_CLOSING)
		ret = -EALREADY;
	else if (!force && dev->open_count)
		ret = -EBUSY;
	if (!ret) {
		WRITE_ONCE(dev->force, force);
		WRITE_ONCE(dev->state, SRN_CLT_DEV_CLOSING);
	}
	mutex_unlock(&disk->open_mutex);
	mutex_unlock(&sess->lock);
	if (ret)
		return ret;
	if (self)
		sysfs_remove_file_self(&dev->kobj, self);
	if (force) {
		/* Held requests fail now. */
		blk_mq_kick_requeue_list(disk->queue);
		blk_mq_run_hw_queues(disk->queue, false);
	}
	kobject_del(&dev->kobj);
	del_gendisk(disk);

	mutex_lock(&sess->lock);
	list_del(&dev->list);
	sess->nr_devs--;
	path = srn_clt_any_path(sess);
	if (path && sess->connected && !server_closed) {
		ret = srn_clt_close_remote(path, dev->dev_id);
		if (ret)
			pr_warn("stor_rnbd_client: session %s: closing %s on the server failed: %d\n",
				sess->name, dev->mapping_path, ret);
	}
	mutex_unlock(&sess->lock);
	pr_info("stor_rnbd_client: session %s: unmapped %s (%s)\n", sess->name,
		disk->disk_name, dev->mapping_path);
	put_disk(disk);
	kobject_put(&dev->kobj);
	return 0;
}

int srn_clt_dev_unmap(struct srn_clt_dev *dev, bool force)
{
	return srn_clt_dev_do_unmap(dev, force, NULL);
}

/*
 * resize: set the size to @sectors, at most what the server's device has
 * now (asked with an OPEN, which for an open device answers the same
 * dev_id and its current size).
 */
static ssize_t resize_store(struct kobject *kobj, struct kobj_attribute *attr,
			    const char *buf, size_t count)
{
	struct srn_clt_dev *dev = to_srn_dev(kobj);
	struct srn_clt_sess *sess = dev->sess;
	struct srn_clt_path *path;
	struct srn_open_rsp rsp;
	u64 sectors;
	int ret;

	ret = kstrtou64(buf, 0, &sectors);
	if (ret)
		return ret;
	if (!sectors ||
	    !IS_ALIGNED(sectors << SECTOR_SHIFT,
			queue_logical_block_size(dev->disk->queue)))
		return -EINVAL;
	mutex_lock(&sess->lock);
	path = srn_clt_any_path(sess);
	if (dev->state != SRN_CLT_DEV_OPEN || !path) {
		ret = -ENOTCONN;
		goto out;
	}
	ret = srn_clt_open_remote(path, dev->mapping_path, dev->access_mode,
				  &rsp);
	if (ret)
		goto out;
	WRITE_ONCE(dev->dev_id, le32_to_cpu(rsp.dev_id));
	dev->nr_sectors = le64_to_cpu(rsp.nr_sectors);
	if (sectors > dev->nr_sectors) {
		ret = -EINVAL;
		goto out;
	}
	set_capacity_and_notify(dev->disk, sectors);
	pr_info("stor_rnbd_client: %s: resized to %llu sectors\n",
		dev->disk->disk_name, sectors);
out:
	mutex_unlock(&sess->lock);
	return ret ? ret : count;
}

/*
 * remap_device: close the device on the server and open it again (for
 * example after the device behind the path was replaced, or after the
 * server closed it: SRN_DEV_EV_CLOSED), with I/O paused.  If the open
 * fails, the device is disconnected and reopening is retried as after a
 * reconnect.
 */
static ssize_t remap_device_store(struct kobject *kobj,
				  struct kobj_attribute *attr,
				  const char *buf, size_t count)
{
	struct srn_clt_dev *dev = to_srn_dev(kobj);
	struct srn_clt_sess *sess = dev->sess;
	struct request_queue *q = dev->disk->queue;
	struct srn_clt_path *path;
	struct srn_open_rsp rsp;
	int ret;

	if (!sysfs_streq(buf, "1"))
		return -EINVAL;
	/* Before sess->lock: teardown, which requeues I/O, needs the lock. */
	blk_mq_freeze_queue(q);
	mutex_lock(&sess->lock);
	path = srn_clt_any_path(sess);
	if ((dev->state != SRN_CLT_DEV_OPEN &&
	     dev->state != SRN_CLT_DEV_CLOSED) || !path) {
		ret = -ENOTCONN;
		goto out;
	}
	ret = srn_clt_close_remote(path, dev->dev_id);
	if (ret && ret != -ENOENT)
		goto out;
	ret = srn_clt_open_remote(path, dev->mapping_path, dev->access_mode,
				  &rsp);
	if (ret) {
		pr_warn("stor_rnbd_client: %s: remap failed: %d\n",
			dev->disk->disk_name, ret);
		WRITE_ONCE(dev->state, SRN_CLT_DEV_DISCONNECTED);
		queue_delayed_work(srn_clt_wq, &sess->reopen_work,
				   srn_clt_reconnect_delay(sess));
		goto out;
	}
	WRITE_ONCE(dev->dev_id, le32_to_cpu(rsp.dev_id));
	WRITE_ONCE(dev->state, SRN_CLT_DEV_OPEN);
	/* A fresh mapping: the server's size, whatever resize said. */
	dev->nr_sectors = le64_to_cpu(rsp.nr_sectors);
	if (get_capacity(dev->disk) != dev->nr_sectors)
		set_capacity_and_notify(dev->disk, dev->nr_sectors);
	pr_info("stor_rnbd_client: %s: remapped %s\n", dev->disk->disk_name,
		dev->mapping_path);
out:
	mutex_unlock(&sess->lock);
	blk_mq_unfreeze_queue(q);
	return ret ? ret : count;
}

static ssize_t unmap_device_store(struct kobject *kobj,
				  struct kobj_attribute *attr,
				  const char *buf, size_t count)
{
	struct srn_clt_dev *dev = to_srn_dev(kobj);
	struct srn_clt_sess *sess = dev->sess;
	bool force;
	int ret;

	if (sysfs_streq(buf, "normal"))
		force = false;
	else if (sysfs_streq(buf, "force"))
		force = true;
	else
		return -EINVAL;
	ret = srn_clt_lock_for_sysfs();
	if (ret)
		return ret;
	/* The session goes if this was its last device: keep it for now. */
	kobject_get(&sess->kobj);
	ret = srn_clt_dev_do_unmap(dev, force, &attr->attr);
	if (!ret)
		srn_clt_sess_maybe_destroy(sess);
	srn_clt_unlock();
	srn_clt_sess_put(sess);
	return ret ? ret : count;
}

int srn_clt_dev_init(void)
{
	srn_clt_major = register_blkdev(0, SRN_CLT_DISK_PREFIX);
	return srn_clt_major < 0 ? srn_clt_major : 0;
}

void srn_clt_dev_exit(void)
{
	unregister_blkdev(srn_clt_major, SRN_CLT_DISK_PREFIX);
	ida_destroy(&srn_clt_ida);
}
