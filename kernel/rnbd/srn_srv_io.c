// SPDX-License-Identifier: GPL-2.0
/*
 * stor_rnbd_server I/O path.
 *
 * A request arrives as an RDMA WRITE WITH IMMEDIATE into one of the path's
 * chunks: the immediate names the chunk and the offset of the struct
 * srn_io_req in it (a WRITE's data precedes the request at offset 0).
 * Every field is checked; a request that cannot be valid (bad chunk,
 * offset, a busy chunk) is a protocol error and closes the path, a
 * request that is well-formed but not allowed (unknown device, out of
 * range, write to a read-only open) is answered with an errno.
 *
 * The bio uses the chunk's pages directly.  When it completes, the
 * response goes back on the connection the request came from: a SEND
 * WITH IMMEDIATE carrying the chunk and the errno, preceded for a READ by
 * an RDMA WRITE of the data into the client's buffer.  Completions of the
 * receive side run in the CQ's workqueue (IB_POLL_WORKQUEUE), so bios are
 * submitted in process context; bio completion may run in any context and
 * only posts work requests.
 */
#include <linux/bio.h>
#include <linux/blkdev.h>

#include "srn_srv.h"

/* The verbs have no scatterlist sync helpers; software devices need none. */
static void srn_srv_chunk_sync(struct ib_device *ibdev,
			       struct srn_srv_chunk *chunk, bool for_cpu)
{
	if (ib_uses_virt_dma(ibdev))
		return;
	if (for_cpu)
		dma_sync_sg_for_cpu(ibdev->dma_device, chunk->sgt.sgl,
				    chunk->sgt.orig_nents, DMA_BIDIRECTIONAL);
	else
		dma_sync_sg_for_device(ibdev->dma_device, chunk->sgt.sgl,
				       chunk->sgt.orig_nents,
				       DMA_BIDIRECTIONAL);
}

int srn_srv_post_io_recv(struct srn_srv_con *con)
{
	struct ib_recv_wr wr = {
		.wr_cqe = &con->recv_cqe,
	};

	return ib_post_recv(con->qp, &wr, NULL);
}

/* One request less in flight; the last one lets teardown go on. */
static void srn_srv_io_unref(struct srn_srv_path *path)
{
	if (atomic_dec_and_test(&path->inflight))
		complete(&path->drained);
}

static void srn_srv_protocol_error(struct srn_srv_path *path, const char *what,
				   u32 val)
{
	pr_warn_ratelimited("stor_rnbd_server: session %s: protocol error (%s %u), closing the path\n",
			    path->sess ? path->sess->name : "?", what, val);
	srn_srv_path_close(path);
}

/* Fault injection: takes one of the drop_responses tokens, if any. */
static bool srn_srv_drop_response(void)
{
	unsigned int n = READ_ONCE(srn_srv_drop_responses), old;

	while (n) {
		old = cmpxchg(&srn_srv_drop_responses, n, n - 1);
		if (old == n)
			return true;
		n = old;
	}
	return false;
}

/*
 * Post the response for @io and release the chunk.  Nothing in @io is
 * used after the busy bit is cleared: the client may send the next
 * request for this chunk as soon as the response reaches it.
 */
static void srn_srv_io_respond(struct srn_srv_io *io, int err)
{
	struct srn_srv_path *path = io->path;
	struct srn_srv_con *con = io->con;
	struct srn_srv_chunk *chunk = &path->chunks[io->chunk];
	struct ib_send_wr rsp = {
		.opcode = IB_WR_SEND_WITH_IMM,
		.wr_cqe = &con->send_cqe,
		.send_flags = IB_SEND_SIGNALED,
		.ex.imm_data = cpu_to_be32(srn_imm_pack(io->chunk,
							 srn_errno_wire(err))),
	};
	struct ib_sge sge;
	struct ib_rdma_wr data;
	struct ib_send_wr *first = &rsp;
	int ret;

	if (!err && io->op == SRN_OP_READ) {
		srn_srv_chunk_sync(path->ibdev, chunk, false);
		sge.addr = chunk->mr->iova;
		sge.length = io->len;
		sge.lkey = chunk->mr->lkey;
		memset(&data, 0, sizeof(data));
		data.wr.opcode = IB_WR_RDMA_WRITE;
		data.wr.wr_cqe = &con->send_cqe;
		data.wr.sg_list = &sge;
		data.wr.num_sge = 1;
		data.wr.next = &rsp;
		data.remote_addr = io->raddr;
		data.rkey = io->rkey;
		first = &data.wr;
	}

	clear_bit_unlock(SRN_SRV_IO_BUSY, &io->flags);
	if (unlikely(srn_srv_drop_response())) {
		pr_info_ratelimited("stor_rnbd_server: session %s: response to chunk %u dropped (drop_responses)\n",
				    path->sess ? path->sess->name : "?", io->chunk);
		srn_srv_io_unref(path);
		return;
	}
	ret = ib_post_send(con->qp, first, NULL);
	if (unlikely(ret)) {
		pr_warn_ratelimited("stor_rnbd_server: posting a response failed: %d\n",
				    ret);
		srn_srv_path_close(path);
	}
	srn_srv_io_unref(path);
}

static void srn_srv_bio_done(struct bio *bio)
{
	struct srn_srv_io *io = bio->bi_private;
	int err = blk_status_to_errno(bio->bi_status);

	bio_put(bio);
	srn_srv_dev_put(io->dev);
	io->dev = NULL;
	srn_srv_io_respond(io, err);
}

/*
 * Check a request against the device and the chunk.  Return: 0, a
 * negative errno to answer with, or 1 for a protocol violation.
 */
static int srn_srv_io_check(struct srn_srv_io *io, const struct srn_io_req *req,
			    u32 off, struct srn_srv_sess_dev **devp)
{
	struct srn_srv_path *path = io->path;
	struct srn_srv_sess_dev *dev;
	u32 flags = le32_to_cpu(req->flags);
	u32 len = le32_to_cpu(req->len);
	u64 sector = le64_to_cpu(req->sector);
	unsigned int lbs;
	u64 nr_sectors;
	bool data, write;

	if (le16_to_cpu(req->magic) != SRN_MAGIC || req->reserved0 ||
	    req->reserved1 || (flags & ~SRN_IO_FLAGS_ALL))
		return 1;
	switch (req->op) {
	case SRN_OP_READ:
		data = true;
		write = false;
		break;
	case SRN_OP_WRITE:
		data = true;
		write = true;
		break;
	case SRN_OP_FLUSH:
		data = false;
		write = false;
		if (len || sector)
			return 1;
		break;
	case SRN_OP_DISCARD:
	case SRN_OP_WRITE_ZEROES:
		data = false;
		write = true;
		if (!len)
			return 1;
		break;
	default:
		return 1;
	}
	if (data) {
		if (!len || len > path->max_io_size)
			return 1;
		/* A WRITE's request follows its data; others are at 0. */
		if (off != (req->op == SRN_OP_WRITE ? len : 0))
			return 1;
	} else if (off) {
		return 1;
	}
	if (req->op != SRN_OP_READ && (req->raddr || req->rkey))
		return 1;
	if ((flags & (SRN_IO_FUA | SRN_IO_PREFLUSH)) &&
	    req->op != SRN_OP_WRITE)
		return 1;
	if ((flags & SRN_IO_NOUNMAP) && req->op != SRN_OP_WRITE_ZEROES)
		return 1;

	dev = srn_srv_dev_get(path->sess, le32_to_cpu(req->dev_id));
	if (!dev)
		return -ENODEV;
	if (write && dev->read_only) {
		srn_srv_dev_put(dev);
		return -EROFS;
	}
	lbs = bdev_logical_block_size(dev->bref.bdev);
	nr_sectors = bdev_nr_sectors(dev->bref.bdev);
	if (!IS_ALIGNED(len, lbs) || !IS_ALIGNED(sector << SECTOR_SHIFT, lbs) ||
	    sector > nr_sectors ||
	    (len >> SECTOR_SHIFT) > nr_sectors - sector) {
		srn_srv_dev_put(dev);
		return -EINVAL;
	}
	io->op = req->op;
	io->len = len;
	io->raddr = le64_to_cpu(req->raddr);
	io->rkey = le32_to_cpu(req->rkey);
	*devp = dev;
	return 0;
}

static blk_opf_t srn_srv_io_opf(const struct srn_io_req *req)
{
	u32 flags = le32_to_cpu(req->flags);
	blk_opf_t opf;

	switch (req->op) {
	case SRN_OP_READ:
		opf = REQ_OP_READ;
		break;
	case SRN_OP_WRITE:
		opf = REQ_OP_WRITE;
		if (flags & SRN_IO_FUA)
			opf |= REQ_FUA;
		if (flags & SRN_IO_PREFLUSH)
			opf |= REQ_PREFLUSH;
		break;
	case SRN_OP_FLUSH:
		opf = REQ_OP_WRITE | REQ_PREFLUSH;
		break;
	case SRN_OP_DISCARD:
		opf = REQ_OP_DISCARD;
		break;
	default:
		opf = REQ_OP_WRITE_ZEROES;
		if (flags & SRN_IO_NOUNMAP)
			opf |= REQ_NOUNMAP;
		break;
	}
	if (flags & SRN_IO_SYNC)
		opf |= REQ_SYNC;
	return opf;
}

static void srn_srv_io_submit(struct srn_srv_io *io, const struct srn_io_req *req,
			      struct srn_srv_sess_dev *dev)
{
	struct srn_srv_chunk *chunk = &io->path->chunks[io->chunk];
	unsigned int nr_pages = 0, i, left;
	struct bio *bio;

	if (req->op == SRN_OP_READ || req->op == SRN_OP_WRITE)
		nr_pages = DIV_ROUND_UP(io->len, PAGE_SIZE);

	io->dev = dev;
	/* GFP_NOIO from the bio_set's mempool: cannot fail. */
	bio = bio_alloc(dev->bref.bdev, nr_pages, srn_srv_io_opf(req), GFP_NOIO);
	bio->bi_iter.bi_sector = le64_to_cpu(req->sector);
	bio->bi_private = io;
	bio->bi_end_io = srn_srv_bio_done;
	if (nr_pages) {
		left = io->len;
		for (i = 0; i < nr_pages; i++) {
			unsigned int n = min_t(unsigned int, left, PAGE_SIZE);

			__bio_add_page(bio, chunk->pages[i], n, 0);
			left -= n;
		}
	} else if (req->op != SRN_OP_FLUSH) {
		bio->bi_iter.bi_size = io->len;
	}
	submit_bio(bio);
}

static void srn_srv_io_start(struct srn_srv_con *con, u32 imm)
{
	struct srn_srv_path *path = con->path;
	u32 chunk_idx = srn_imm_chunk(imm);
	u32 off = srn_imm_hi(imm) * SRN_IO_ALIGN;
	struct srn_srv_sess_dev *dev = NULL;
	struct srn_srv_chunk *chunk;
	struct srn_io_req req;
	struct srn_srv_io *io;
	void *p;
	int ret;

	if (chunk_idx >= path->queue_depth) {
		srn_srv_protocol_error(path, "chunk", chunk_idx);
		return;
	}
	if (off > path->chunk_size - sizeof(req)) {
		srn_srv_protocol_error(path, "offset", off);
		return;
	}
	io = &path->ios[chunk_idx];
	if (test_and_set_bit_lock(SRN_SRV_IO_BUSY, &io->flags)) {
		srn_srv_protocol_error(path, "busy chunk", chunk_idx);
		return;
	}
	atomic_inc(&path->inflight);
	io->con = con;

	chunk = &path->chunks[chunk_idx];
	srn_srv_chunk_sync(path->ibdev, chunk, true);
	/* SRN_IO_ALIGN-aligned and smaller than it: within one page. */
	p = page_address(chunk->pages[off >> PAGE_SHIFT]);
	memcpy(&req, p + offset_in_page(off), sizeof(req));

	ret = srn_srv_io_check(io, &req, off, &dev);
	if (ret > 0) {
		clear_bit_unlock(SRN_SRV_IO_BUSY, &io->flags);
		srn_srv_io_unref(path);
		srn_srv_protocol_error(path, "request", req.op);
		return;
	}
	if (ret < 0) {
		srn_srv_io_respond(io, ret);
		return;
	}
	srn_srv_io_submit(io, &req, dev);
}

void srn_srv_io_recv_done(struct ib_cq *cq, struct ib_wc *wc)
{
	struct srn_srv_con *con = cq->cq_context;
	struct srn_srv_path *path = con->path;

	if (unlikely(wc->status != IB_WC_SUCCESS)) {
		if (wc->status != IB_WC_WR_FLUSH_ERR)
			pr_warn_ratelimited("stor_rnbd_server: receive failed: %s\n",
					    ib_wc_status_msg(wc->status));
		srn_srv_path_close(path);
		return;
	}
	if (wc->opcode != IB_WC_RECV_RDMA_WITH_IMM ||
	    !(wc->wc_flags & IB_WC_WITH_IMM)) {
		srn_srv_protocol_error(path, "opcode", wc->opcode);
		return;
	}
	if (READ_ONCE(path->state) == SRN_SRV_PATH_CLOSING)
		return;
	if (srn_srv_post_io_recv(con)) {
		srn_srv_path_close(path);
		return;
	}
	srn_srv_io_start(con, be32_to_cpu(wc->ex.imm_data));
}

void srn_srv_io_send_done(struct ib_cq *cq, struct ib_wc *wc)
{
	struct srn_srv_con *con = cq->cq_context;

	if (unlikely(wc->status != IB_WC_SUCCESS)) {
		if (wc->status != IB_WC_WR_FLUSH_ERR)
			pr_warn_ratelimited("stor_rnbd_server: response failed: %s\n",
					    ib_wc_status_msg(wc->status));
		srn_srv_path_close(con->path);
	}
}
