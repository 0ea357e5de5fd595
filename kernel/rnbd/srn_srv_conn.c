// SPDX-License-Identifier: GPL-2.0
/*
 * stor_rnbd_server connections: the RDMA CM listener, paths and their
 * connections, sessions, the control messages and heartbeat checking.
 *
 * A path starts with its control connection (con_id 0).  Its first
 * message, SESS_INFO, attaches it to the session with the client's
 * session uuid (creating the session if needed), allocates and registers
 * the path's chunks and answers with their addresses and keys and a
 * random token.  The I/O connections then connect presenting the token.
 *
 * Anything wrong with a connection (an error completion, a disconnect, a
 * protocol violation, a missed heartbeat) closes the whole path in
 * srn_srv_path_close_work(), which is the only place that frees a path:
 * it disconnects, drains the receive queues, waits for the requests in
 * flight, drains the send queues and then frees everything.  The last
 * path of a session takes the session and its open devices with it.
 */
#include <linux/inet.h>
#include <linux/random.h>
#include <linux/slab.h>
#include <rdma/ib_cm.h>

#include "srn_srv.h"

static struct rdma_cm_id *srn_srv_listen_id;
static struct delayed_work srn_srv_hb_work;

static void srn_srv_path_close_work(struct work_struct *work);

const char *srn_srv_path_state_name(enum srn_srv_path_state state)
{
	switch (state) {
	case SRN_SRV_PATH_NEW:
		return "connecting";
	case SRN_SRV_PATH_INFO:
		return "connecting";
	case SRN_SRV_PATH_CONNECTED:
		return "connected";
	case SRN_SRV_PATH_CLOSING:
		return "closing";
	}
	return "unknown";
}

void srn_srv_path_close(struct srn_srv_path *path)
{
	if (!test_and_set_bit(SRN_SRV_PATH_CLOSE_QUEUED, &path->flags))
		queue_work(srn_srv_wq, &path->close_work);
}

/* ------------------------------------------------------------ chunks */

static void srn_srv_chunks_free(struct srn_srv_path *path)
{
	unsigned int i, j;

	if (!path->chunks)
		return;
	for (i = 0; i < path->queue_depth; i++) {
		struct srn_srv_chunk *chunk = &path->chunks[i];

		if (chunk->mr)
			ib_dereg_mr(chunk->mr);
		if (chunk->sgt.sgl) {
			ib_dma_unmap_sg(path->ibdev, chunk->sgt.sgl,
					chunk->sgt.orig_nents, DMA_BIDIRECTIONAL);
			sg_free_table(&chunk->sgt);
		}
		if (chunk->pages) {
			for (j = 0; j < path->pages_per_chunk; j++) {
				if (chunk->pages[j])
					__free_page(chunk->pages[j]);
			}
			kfree(chunk->pages);
		}
	}
	kvfree(path->chunks);
	path->chunks = NULL;
	kvfree(path->ios);
	path->ios = NULL;
}

struct srn_srv_reg_wait {
	struct ib_cqe cqe;
	struct completion done;
	int status;
};

static void srn_srv_reg_done(struct ib_cq *cq, struct ib_wc *wc)
{
	struct srn_srv_reg_wait *w = container_of(wc->wr_cqe,
						  struct srn_srv_reg_wait, cqe);

	w->status = wc->status == IB_WC_SUCCESS ? 0 : -EIO;
	complete(&w->done);
}

static int srn_srv_chunk_alloc(struct srn_srv_path *path,
			       struct srn_srv_chunk *chunk)
{
	unsigned int n = path->pages_per_chunk, j;
	int nents, ret;

	chunk->pages = kcalloc(n, sizeof(*chunk->pages), GFP_KERNEL);
	if (!chunk->pages)
		return -ENOMEM;
	for (j = 0; j < n; j++) {
		/*
		 * Zeroed: a chunk never shows the client foreign memory.  A
		 * client asking for more than there is gets ENOMEM rather
		 * than the OOM killer running on the server.
		 */
		chunk->pages[j] = alloc_page(GFP_KERNEL | __GFP_ZERO |
					     __GFP_RETRY_MAYFAIL | __GFP_NOWARN);
		if (!chunk->pages[j])
			return -ENOMEM;
	}
	ret = sg_alloc_table_from_pages(&chunk->sgt, chunk->pages, n, 0,
					(unsigned long)n << PAGE_SHIFT,
					GFP_KERNEL);
	if (ret)
		return ret;
	nents = ib_dma_map_sg(path->ibdev, chunk->sgt.sgl, chunk->sgt.orig_nents,
			      DMA_BIDIRECTIONAL);
	if (nents <= 0) {
		sg_free_table(&chunk->sgt);
		chunk->sgt.sgl = NULL;
		return -ENOMEM;
	}
	chunk->sgt.nents = nents;
	chunk->mr = ib_alloc_mr(path->pd, IB_MR_TYPE_MEM_REG, n);
	if (IS_ERR(chunk->mr)) {
		ret = PTR_ERR(chunk->mr);
		chunk->mr = NULL;
		return ret;
	}
	ret = ib_map_mr_sg(chunk->mr, chunk->sgt.sgl, nents, NULL, PAGE_SIZE);
	if (ret != nents)
		return ret < 0 ? ret : -EINVAL;
	return 0;
}

/*
 * Allocate the path's chunks and register them on the control QP.  Called
 * from the SESS_INFO handler, before any I/O connection exists.
 */
static int srn_srv_chunks_alloc(struct srn_srv_path *path)
{
	struct srn_srv_con *con = path->cons[0];
	struct srn_srv_reg_wait wait;
	struct ib_reg_wr *wrs;
	unsigned int i;
	int ret;

	path->chunks = kvcalloc(path->queue_depth, sizeof(*path->chunks),
				GFP_KERNEL);
	path->ios = kvcalloc(path->queue_depth, sizeof(*path->ios), GFP_KERNEL);
	if (!path->chunks || !path->ios)
		return -ENOMEM;
	for (i = 0; i < path->queue_depth; i++) {
		path->ios[i].path = path;
		path->ios[i].chunk = i;
		ret = srn_srv_chunk_alloc(path, &path->chunks[i]);
		if (ret)
			return ret;
		cond_resched();
	}

	wrs = kcalloc(path->queue_depth, sizeof(*wrs), GFP_KERNEL);
	if (!wrs)
		return -ENOMEM;
	wait.cqe.done = srn_srv_reg_done;
	init_completion(&wait.done);
	for (i = 0; i < path->queue_depth; i++) {
		struct ib_mr *mr = path->chunks[i].mr;

		wrs[i].wr.opcode = IB_WR_REG_MR;
		wrs[i].wr.wr_cqe = &wait.cqe;
		wrs[i].wr.next = i + 1 < path->queue_depth ?
				 &wrs[i + 1].wr : NULL;
		wrs[i].mr = mr;
		wrs[i].key = mr->rkey;
		wrs[i].access = IB_ACCESS_LOCAL_WRITE | IB_ACCESS_REMOTE_WRITE;
	}
	/* Only the last is signalled; a failure flushes it with an error. */
	wrs[path->queue_depth - 1].wr.send_flags = IB_SEND_SIGNALED;
	ret = ib_post_send(con->qp, &wrs[0].wr, NULL);
	if (!ret) {
		if (!wait_for_completion_timeout(&wait.done, 30 * HZ)) {
			/* The completion may still come: keep @wait alive. */
			srn_srv_path_close(path);
			wait_for_completion(&wait.done);
			ret = -ETIMEDOUT;
		} else {
			ret = wait.status;
		}
	}
	kfree(wrs);
	return ret;
}

/* ------------------------------------------------------------ sessions */

static struct srn_srv_sess *srn_srv_sess_find_uuid(const uuid_t *uuid)
{
	struct srn_srv_sess *sess;

	list_for_each_entry(sess, &srn_srv_sessions, list) {
		if (uuid_equal(&sess->uuid, uuid))
			return sess;
	}
	return NULL;
}

static struct srn_srv_sess *srn_srv_sess_find_name(const char *name)
{
	struct srn_srv_sess *sess;

	list_for_each_entry(sess, &srn_srv_sessions, list) {
		if (!strcmp(sess->name, name))
			return sess;
	}
	return NULL;
}

/* Does @list (under srn_srv_lock) already hold @limit entries (0: none)? */
static bool srn_srv_over_limit(struct list_head *list, unsigned int limit)
{
	struct list_head *pos;
	unsigned int n = 0;

	if (!limit)
		return false;
	list_for_each(pos, list) {
		if (++n >= limit)
			return true;
	}
	return false;
}

/*
 * Attach @path to its session.  Return: 0 or a negative errno for the
 * response (-EAGAIN: the old session with this uuid is still closing).
 */
static int srn_srv_path_attach(struct srn_srv_path *path, const char *name)
{
	struct srn_srv_sess *sess;
	struct srn_srv_path *other;
	unsigned int live = 0, limit;
	bool stale = false;

	lockdep_assert_held(&srn_srv_lock);
	sess = srn_srv_sess_find_uuid(&path->sess_uuid);
	if (sess) {
		if (sess->dying)
			return -EAGAIN;
		if (strcmp(sess->name, name))
			return -EINVAL;
		list_for_each_entry(other, &sess->paths, sess_list) {
			if (!uuid_equal(&other->path_uuid, &path->path_uuid)) {
				if (other->state != SRN_SRV_PATH_CLOSING)
					live++;
				continue;
			}
			/*
			 * The client reconnected this path.  Until the old
			 * one is gone, its bios may still be running, and the
			 * client is about to resend what it had in flight:
			 * let it retry once the old path has drained.
			 */
			if (other->state != SRN_SRV_PATH_CLOSING) {
				pr_info("stor_rnbd_server: session %s: path reconnected, closing the old one\n",
					name);
				srn_srv_path_close(other);
			}
			stale = true;
		}
		if (stale)
			return -EAGAIN;
		if (live >= SRN_MAX_PATHS)
			return -EMFILE;
	} else {
		sess = srn_srv_sess_find_name(name);
		if (sess) {
			/* Taken by another client, unless on its way out. */
			if (sess->dying)
				return -EAGAIN;
			list_for_each_entry(other, &sess->paths, sess_list) {
				if (other->state != SRN_SRV_PATH_CLOSING)
					return -EEXIST;
			}
			return -EAGAIN;
		}
		limit = READ_ONCE(srn_srv_max_sessions);
		if (srn_srv_over_limit(&srn_srv_sessions, limit)) {
			pr_info_ratelimited("stor_rnbd_server: session %s refused: max_sessions (%u) reached\n",
					    name, limit);
			return -EUSERS;
		}
		sess = kzalloc(sizeof(*sess), GFP_KERNEL);
		if (!sess)
			return -ENOMEM;
		uuid_copy(&sess->uuid, &path->sess_uuid);
		strscpy(sess->name, name, sizeof(sess->name));
		INIT_LIST_HEAD(&sess->paths);
		xa_init_flags(&sess->devs, XA_FLAGS_ALLOC1);
		list_add_tail(&sess->list, &srn_srv_sessions);
		pr_info("stor_rnbd_server: session %s created\n", name);
	}
	list_add_tail(&path->sess_list, &sess->paths);
	sess->nr_paths++;
	path->sess = sess;
	return 0;
}

/* ------------------------------------------------------------ control */

static int srn_srv_post_ctl_recv(struct srn_srv_ctl_iu *iu)
{
	struct srn_srv_path *path = iu->con->path;
	struct ib_sge sge = {
		.addr = iu->buf_dma,
		.length = SRN_CTL_MSG_SIZE,
		.lkey = path->pd->local_dma_lkey,
	};
	struct ib_recv_wr wr = {
		.wr_cqe = &iu->recv_cqe,
		.sg_list = &sge,
		.num_sge = 1,
	};

	ib_dma_sync_single_for_device(path->ibdev, iu->buf_dma,
				      SRN_CTL_MSG_SIZE, DMA_FROM_DEVICE);
	return ib_post_recv(iu->con->qp, &wr, NULL);
}

static void srn_srv_ctl_send_done(struct ib_cq *cq, struct ib_wc *wc)
{
	struct srn_srv_ctl_iu *iu = container_of(wc->wr_cqe,
						 struct srn_srv_ctl_iu, send_cqe);
	struct srn_srv_path *path = iu->con->path;

	if (wc->status != IB_WC_SUCCESS) {
		if (wc->status != IB_WC_WR_FLUSH_ERR)
			pr_warn_ratelimited("stor_rnbd_server: control send failed: %s\n",
					    ib_wc_status_msg(wc->status));
		srn_srv_path_close(path);
		return;
	}
	if (READ_ONCE(path->state) == SRN_SRV_PATH_CLOSING)
		return;
	if (srn_srv_post_ctl_recv(iu))
		srn_srv_path_close(path);
}

static void srn_srv_ctl_recv_done(struct ib_cq *cq, struct ib_wc *wc)
{
	struct srn_srv_ctl_iu *iu = container_of(wc->wr_cqe,
						 struct srn_srv_ctl_iu, recv_cqe);
	struct srn_srv_path *path = iu->con->path;

	if (wc->status != IB_WC_SUCCESS) {
		if (wc->status != IB_WC_WR_FLUSH_ERR)
			pr_warn_ratelimited("stor_rnbd_server: control receive failed: %s\n",
					    ib_wc_status_msg(wc->status));
		srn_srv_path_close(path);
		return;
	}
	if (wc->opcode != IB_WC_RECV || (wc->wc_flags & IB_WC_WITH_IMM)) {
		pr_warn_ratelimited("stor_rnbd_server: unexpected opcode %d on a control connection\n",
				    wc->opcode);
		srn_srv_path_close(path);
		return;
	}
	if (READ_ONCE(path->state) == SRN_SRV_PATH_CLOSING)
		return;
	iu->len = wc->byte_len;
	WRITE_ONCE(path->last_rx, jiffies);
	queue_work(srn_srv_wq, &iu->work);
}

static u32 srn_srv_sess_info(struct srn_srv_path *path,
			     const struct srn_sess_info_req *req,
			     struct srn_sess_info_rsp *rsp, u32 *status)
{
	u32 len = sizeof(*rsp);
	unsigned int i;
	int ret;

	mutex_lock(&srn_srv_lock);
	if (path->state != SRN_SRV_PATH_NEW) {
		mutex_unlock(&srn_srv_lock);
		*status = EPROTO;
		return len;
	}
	*status = srn_errno_wire(srn_srv_path_attach(path, req->sessname));
	mutex_unlock(&srn_srv_lock);
	if (*status)
		return len;

	ret = srn_srv_chunks_alloc(path);
	if (ret) {
		pr_warn("stor_rnbd_server: session %s: cannot set up %u chunks of %u bytes: %d\n",
			req->sessname, path->queue_depth, path->chunk_size, ret);
		*status = srn_errno_wire(ret);
		srn_srv_path_close(path);
		return len;
	}

	mutex_lock(&srn_srv_lock);
	if (path->state == SRN_SRV_PATH_NEW) {
		path->token = get_random_u32() | 1;
		path->state = SRN_SRV_PATH_INFO;
	}
	mutex_unlock(&srn_srv_lock);

	rsp->path_token = cpu_to_le32(path->token);
	rsp->queue_depth = cpu_to_le16(path->queue_depth);
	rsp->nr_io_cons = cpu_to_le16(path->nr_io_cons);
	rsp->max_io_size = cpu_to_le32(path->max_io_size);
	rsp->chunk_size = cpu_to_le32(path->chunk_size);
	rsp->hb_timeout_ms = cpu_to_le32(srn_srv_hb_timeout_ms);
	for (i = 0; i < path->queue_depth; i++) {
		u64 iova = path->chunks[i].mr->iova;

		rsp->chunks[i].addr_lo = cpu_to_le32(lower_32_bits(iova));
		rsp->chunks[i].addr_hi = cpu_to_le32(upper_32_bits(iova));
		rsp->chunks[i].rkey = cpu_to_le32(path->chunks[i].mr->rkey);
	}
	return len + path->queue_depth * sizeof(rsp->chunks[0]);
}

static void srn_srv_ctl_work(struct work_struct *work)
{
	struct srn_srv_ctl_iu *iu = container_of(work, struct srn_srv_ctl_iu,
						 work);
	struct srn_srv_path *path = iu->con->path;
	const struct srn_ctl_hdr *hdr = iu->buf;
	struct srn_ctl_hdr *rsp = iu->rsp;
	u32 rsp_len = sizeof(*rsp), status = 0;
	u16 rsp_type;
	int type, ret;

	ib_dma_sync_single_for_cpu(path->ibdev, iu->buf_dma, SRN_CTL_MSG_SIZE,
				   DMA_FROM_DEVICE);
	memset(iu->rsp, 0, SRN_CTL_MSG_SIZE);
	type = srn_ctl_hdr_check(hdr, iu->len);
	switch (type) {
	case SRN_CTL_SESS_INFO_REQ: {
		const struct srn_sess_info_req *req = iu->buf;

		if (!srn_ctl_len_ok(hdr, sizeof(*req)) ||
		    !srn_sessname_valid(req->sessname, sizeof(req->sessname)) ||
		    !srn_zeroed(req->reserved, sizeof(req->reserved)))
			goto proto;
		rsp_type = SRN_CTL_SESS_INFO_RSP;
		rsp_len = srn_srv_sess_info(path, req, iu->rsp, &status);
		break;
	}
	case SRN_CTL_OPEN_REQ: {
		const struct srn_open_req *req = iu->buf;

		if (!srn_ctl_len_ok(hdr, sizeof(*req)) || !path->sess)
			goto proto;
		rsp_type = SRN_CTL_OPEN_RSP;
		rsp_len = sizeof(struct srn_open_rsp);
		ret = srn_srv_dev_open(path->sess, req, iu->rsp);
		status = srn_errno_wire(ret);
		break;
	}
	case SRN_CTL_CLOSE_REQ: {
		const struct srn_close_req *req = iu->buf;

		if (!srn_ctl_len_ok(hdr, sizeof(*req)) || !path->sess ||
		    req->reserved)
			goto proto;
		rsp_type = SRN_CTL_CLOSE_RSP;
		ret = srn_srv_dev_close_id(path->sess,
					   le32_to_cpu(req->dev_id));
		status = srn_errno_wire(ret);
		break;
	}
	case SRN_CTL_HB_REQ:
		rsp_type = SRN_CTL_HB_RSP;
		if (path->sess)
			rsp_len = srn_srv_hb_rsp_fill(path->sess, iu->rsp);
		break;
	default:
		goto proto;
	}

	srn_ctl_hdr_init(rsp, rsp_type, rsp_len, le32_to_cpu(hdr->tag), status);
	{
		struct ib_sge sge = {
			.addr = iu->rsp_dma,
			.length = rsp_len,
			.lkey = path->pd->local_dma_lkey,
		};
		struct ib_send_wr wr = {
			.opcode = IB_WR_SEND,
			.wr_cqe = &iu->send_cqe,
			.send_flags = IB_SEND_SIGNALED,
			.sg_list = &sge,
			.num_sge = 1,
		};

		ib_dma_sync_single_for_device(path->ibdev, iu->rsp_dma,
					      SRN_CTL_MSG_SIZE, DMA_TO_DEVICE);
		if (ib_post_send(iu->con->qp, &wr, NULL))
			srn_srv_path_close(path);
	}
	return;

proto:
	pr_warn_ratelimited("stor_rnbd_server: bad control message (type %d, %u bytes), closing the path\n",
			    type, iu->len);
	srn_srv_path_close(path);
}

/* ------------------------------------------------------------ connections */

static void srn_srv_qp_event(struct ib_event *ev, void *ctx)
{
	struct srn_srv_con *con = ctx;

	switch (ev->event) {
	case IB_EVENT_COMM_EST:
		rdma_notify(con->cm_id, ev->event);
		break;
	default:
		pr_warn_ratelimited("stor_rnbd_server: QP event %s\n",
				    ib_event_msg(ev->event));
		break;
	}
}

/*
 * Free the verbs resources of @con but not @con itself: the RDMA CM may
 * still call srn_srv_cm_handler() with it as context until its id is
 * destroyed.
 */
static void srn_srv_con_release(struct srn_srv_con *con)
{
	struct srn_srv_path *path = con->path;
	unsigned int i;

	if (con->qp)
		rdma_destroy_qp(con->cm_id);
	con->qp = NULL;
	if (con->cq)
		ib_free_cq(con->cq);
	con->cq = NULL;
	if (con->ius) {
		for (i = 0; i < SRN_CTL_RECV_BUFS; i++) {
			struct srn_srv_ctl_iu *iu = &con->ius[i];

			if (iu->buf_dma)
				ib_dma_unmap_single(path->ibdev, iu->buf_dma,
						    SRN_CTL_MSG_SIZE,
						    DMA_FROM_DEVICE);
			if (iu->rsp_dma)
				ib_dma_unmap_single(path->ibdev, iu->rsp_dma,
						    SRN_CTL_MSG_SIZE,
						    DMA_TO_DEVICE);
			kfree(iu->buf);
			kfree(iu->rsp);
		}
		kfree(con->ius);
		con->ius = NULL;
	}
}

/* A connection whose id's handler no longer sees it (or never did). */
static void srn_srv_con_free(struct srn_srv_con *con)
{
	srn_srv_con_release(con);
	kfree(con);
}

static int srn_srv_con_ctl_bufs(struct srn_srv_con *con)
{
	struct srn_srv_path *path = con->path;
	unsigned int i;
	int ret;

	con->ius = kcalloc(SRN_CTL_RECV_BUFS, sizeof(*con->ius), GFP_KERNEL);
	if (!con->ius)
		return -ENOMEM;
	for (i = 0; i < SRN_CTL_RECV_BUFS; i++) {
		struct srn_srv_ctl_iu *iu = &con->ius[i];

		iu->con = con;
		iu->recv_cqe.done = srn_srv_ctl_recv_done;
		iu->send_cqe.done = srn_srv_ctl_send_done;
		INIT_WORK(&iu->work, srn_srv_ctl_work);
		iu->buf = kzalloc(SRN_CTL_MSG_SIZE, GFP_KERNEL);
		iu->rsp = kzalloc(SRN_CTL_MSG_SIZE, GFP_KERNEL);
		if (!iu->buf || !iu->rsp)
			return -ENOMEM;
		iu->buf_dma = ib_dma_map_single(path->ibdev, iu->buf,
						SRN_CTL_MSG_SIZE,
						DMA_FROM_DEVICE);
		if (ib_dma_mapping_error(path->ibdev, iu->buf_dma)) {
			iu->buf_dma = 0;
			return -ENOMEM;
		}
		iu->rsp_dma = ib_dma_map_single(path->ibdev, iu->rsp,
						SRN_CTL_MSG_SIZE, DMA_TO_DEVICE);
		if (ib_dma_mapping_error(path->ibdev, iu->rsp_dma)) {
			iu->rsp_dma = 0;
			return -ENOMEM;
		}
	}
	for (i = 0; i < SRN_CTL_RECV_BUFS; i++) {
		ret = srn_srv_post_ctl_recv(&con->ius[i]);
		if (ret)
			return ret;
	}
	return 0;
}

/* Create the CQ, QP and receive buffers of a connection being accepted. */
static struct srn_srv_con *srn_srv_con_create(struct srn_srv_path *path,
					      struct rdma_cm_id *id, u16 con_id)
{
	struct ib_qp_init_attr attr = {};
	struct srn_srv_con *con;
	unsigned int sq, rq, i;
	int ret;

	con = kzalloc(sizeof(*con), GFP_KERNEL);
	if (!con)
		return ERR_PTR(-ENOMEM);
	con->path = path;
	con->cm_id = id;
	con->con_id = con_id;
	if (con_id == 0) {
		/* Responses, plus one REG_MR per chunk at SESS_INFO. */
		sq = SRN_CTL_RECV_BUFS + path->queue_depth + 1;
		rq = SRN_CTL_RECV_BUFS;
	} else {
		/*
		 * Two work requests per response (data, response); a chunk
		 * can have a new response queued before the old one's
		 * completion is reaped, hence twice that.
		 */
		sq = 4 * path->queue_depth + 2;
		rq = path->queue_depth;
		con->recv_cqe.done = srn_srv_io_recv_done;
		con->send_cqe.done = srn_srv_io_send_done;
	}
	con->cq = ib_alloc_cq(path->ibdev, con, sq + rq + 1,
			      con_id % path->ibdev->num_comp_vectors,
			      IB_POLL_WORKQUEUE);
	if (IS_ERR(con->cq)) {
		ret = PTR_ERR(con->cq);
		con->cq = NULL;
		goto err;
	}
	attr.event_handler = srn_srv_qp_event;
	attr.qp_context = con;
	attr.send_cq = con->cq;
	attr.recv_cq = con->cq;
	attr.cap.max_send_wr = sq;
	attr.cap.max_recv_wr = rq;
	attr.cap.max_send_sge = 1;
	attr.cap.max_recv_sge = 1;
	attr.sq_sig_type = IB_SIGNAL_REQ_WR;
	attr.qp_type = IB_QPT_RC;
	ret = rdma_create_qp(id, path->pd, &attr);
	if (ret)
		goto err;
	con->qp = id->qp;

	if (con_id == 0) {
		ret = srn_srv_con_ctl_bufs(con);
	} else {
		for (i = 0, ret = 0; i < rq && !ret; i++)
			ret = srn_srv_post_io_recv(con);
	}
	if (ret)
		goto err;
	return con;
err:
	srn_srv_con_free(con);
	return ERR_PTR(ret);
}

static int srn_srv_accept(struct srn_srv_con *con)
{
	struct srn_conn_rsp rsp = {
		.magic = cpu_to_le16(SRN_MAGIC),
		.version = cpu_to_le16(SRN_PROTO_VERSION),
	};
	struct rdma_conn_param param = {
		.private_data = &rsp,
		.private_data_len = sizeof(rsp),
		.rnr_retry_count = 7,
	};

	return rdma_accept(con->cm_id, &param);
}

static void srn_srv_path_free(struct srn_srv_path *path)
{
	unsigned int i;

	srn_srv_chunks_free(path);
	for (i = 0; i <= SRN_MAX_IO_CONS; i++) {
		if (path->cons[i])
			srn_srv_con_release(path->cons[i]);
	}
	if (path->pd)
		ib_dealloc_pd(path->pd);
	/*
	 * Then the CM ids, which keep the RDMA device from going away.  Their
	 * handler may run (a late DISCONNECTED or TIMEWAIT_EXIT) until each
	 * is destroyed: it finds the connection and the path still there,
	 * and the path's close already queued.
	 */
	for (i = 0; i <= SRN_MAX_IO_CONS; i++) {
		if (path->cons[i])
			rdma_destroy_id(path->cons[i]->cm_id);
	}
	for (i = 0; i <= SRN_MAX_IO_CONS; i++)
		kfree(path->cons[i]);
	kfree(path);
}

/* Connect request of a control connection: a new path. */
static int srn_srv_new_path(struct rdma_cm_id *id,
			    const struct srn_conn_req *req)
{
	struct srn_srv_path *path;
	struct srn_srv_con *con;
	u32 max_io, limit;
	int ret;

	/* Closing paths count: they hold their chunks until they are gone. */
	limit = READ_ONCE(srn_srv_max_paths);
	if (srn_srv_over_limit(&srn_srv_paths, limit)) {
		pr_info_ratelimited("stor_rnbd_server: path from %pIS refused: max_paths (%u) reached\n",
				    &id->route.addr.dst_addr, limit);
		return -EUSERS;
	}
	path = kzalloc(sizeof(*path), GFP_KERNEL);
	if (!path)
		return -ENOMEM;
	INIT_LIST_HEAD(&path->sess_list);
	import_uuid(&path->sess_uuid, req->sess_uuid);
	import_uuid(&path->path_uuid, req->path_uuid);
	path->state = SRN_SRV_PATH_NEW;
	path->nr_io_cons = le16_to_cpu(req->nr_io_cons);
	path->queue_depth = min_t(u32, le16_to_cpu(req->queue_depth),
				  srn_srv_queue_depth);
	max_io = min(le32_to_cpu(req->max_io_size), srn_srv_max_io_size);
	path->max_io_size = round_down(max_io, SRN_MIN_IO_SIZE);
	/* The request follows a WRITE's data in the same chunk. */
	path->pages_per_chunk = path->max_io_size / PAGE_SIZE + 1;
	path->chunk_size = path->pages_per_chunk * PAGE_SIZE;
	atomic_set(&path->inflight, 1);
	init_completion(&path->drained);
	INIT_WORK(&path->close_work, srn_srv_path_close_work);
	memcpy(&path->peer, &id->route.addr.dst_addr, sizeof(path->peer));
	path->ibdev = id->device;
	path->pd = ib_alloc_pd(path->ibdev, 0);
	if (IS_ERR(path->pd)) {
		ret = PTR_ERR(path->pd);
		path->pd = NULL;
		goto err;
	}
	con = srn_srv_con_create(path, id, 0);
	if (IS_ERR(con)) {
		ret = PTR_ERR(con);
		goto err;
	}
	path->cons[0] = con;
	id->context = con;
	ret = srn_srv_accept(con);
	if (ret)
		goto err_con;
	path->last_rx = jiffies;
	list_add_tail(&path->list, &srn_srv_paths);
	return 0;

err_con:
	id->context = NULL;
	srn_srv_con_free(con);
	path->cons[0] = NULL;
err:
	if (path->pd)
		ib_dealloc_pd(path->pd);
	kfree(path);
	return ret;
}

/* Connect request of an I/O connection of a path in SRN_SRV_PATH_INFO. */
static int srn_srv_new_io_con(struct rdma_cm_id *id,
			      const struct srn_conn_req *req)
{
	u16 con_id = le16_to_cpu(req->con_id);
	struct srn_srv_path *path = NULL, *p;
	struct srn_srv_sess *sess;
	struct srn_srv_con *con;
	uuid_t sess_uuid, path_uuid;
	int ret;

	import_uuid(&sess_uuid, req->sess_uuid);
	import_uuid(&path_uuid, req->path_uuid);
	sess = srn_srv_sess_find_uuid(&sess_uuid);
	if (!sess || sess->dying)
		return -ENOENT;
	list_for_each_entry(p, &sess->paths, sess_list) {
		if (p->state == SRN_SRV_PATH_INFO &&
		    p->token == le32_to_cpu(req->path_token) &&
		    uuid_equal(&p->path_uuid, &path_uuid)) {
			path = p;
			break;
		}
	}
	if (!path)
		return -ENOENT;
	if (le16_to_cpu(req->nr_io_cons) != path->nr_io_cons ||
	    con_id > path->nr_io_cons || path->cons[con_id])
		return -EINVAL;
	if (id->device != path->ibdev)
		return -EXDEV;
	con = srn_srv_con_create(path, id, con_id);
	if (IS_ERR(con))
		return PTR_ERR(con);
	id->context = con;
	ret = srn_srv_accept(con);
	if (ret) {
		id->context = NULL;
		srn_srv_con_free(con);
		return ret;
	}
	path->cons[con_id] = con;
	return 0;
}

static int srn_srv_check_conn_req(const struct srn_conn_req *req, u8 len)
{
	u16 con_id, nr_io_cons, qd;
	u32 max_io;

	if (!req || len < sizeof(*req))
		return -EPROTO;
	if (le16_to_cpu(req->magic) != SRN_MAGIC)
		return -EPROTO;
	if (le16_to_cpu(req->version) != SRN_PROTO_VERSION)
		return -EPROTONOSUPPORT;
	con_id = le16_to_cpu(req->con_id);
	nr_io_cons = le16_to_cpu(req->nr_io_cons);
	qd = le16_to_cpu(req->queue_depth);
	max_io = le32_to_cpu(req->max_io_size);
	if (req->flags || !srn_zeroed(req->reserved, sizeof(req->reserved)))
		return -EINVAL;
	if (!nr_io_cons || nr_io_cons > SRN_MAX_IO_CONS || con_id > nr_io_cons)
		return -EINVAL;
	if (con_id == 0) {
		if (!qd || qd > SRN_MAX_QUEUE_DEPTH || req->path_token ||
		    max_io < SRN_MIN_IO_SIZE || max_io > SRN_MAX_IO_SIZE)
			return -EINVAL;
	} else if (qd || max_io || !req->path_token) {
		return -EINVAL;
	}
	return 0;
}

static void srn_srv_reject(struct rdma_cm_id *id, int err)
{
	struct srn_conn_rsp rsp = {
		.magic = cpu_to_le16(SRN_MAGIC),
		.version = cpu_to_le16(SRN_PROTO_VERSION),
		.status = cpu_to_le16(srn_errno_wire(err)),
	};

	rdma_reject(id, &rsp, sizeof(rsp), IB_CM_REJ_CONSUMER_DEFINED);
}

static int srn_srv_connect_request(struct rdma_cm_id *id,
				   const struct rdma_cm_event *ev)
{
	const struct srn_conn_req *req = ev->param.conn.private_data;
	int ret;

	ret = srn_srv_check_conn_req(req, ev->param.conn.private_data_len);
	if (!ret) {
		mutex_lock(&srn_srv_lock);
		if (req->con_id == 0)
			ret = srn_srv_new_path(id, req);
		else
			ret = srn_srv_new_io_con(id, req);
		mutex_unlock(&srn_srv_lock);
	}
	if (ret) {
		pr_info_ratelimited("stor_rnbd_server: rejecting a connection from %pISp: %d\n",
				    &id->route.addr.dst_addr, ret);
		srn_srv_reject(id, ret);
		/* Non-zero: the RDMA CM destroys the id. */
		return ret;
	}
	return 0;
}

static void srn_srv_established(struct srn_srv_con *con)
{
	struct srn_srv_path *path = con->path;
	unsigned int i;

	mutex_lock(&srn_srv_lock);
	con->established = true;
	if (path->state == SRN_SRV_PATH_INFO) {
		for (i = 0; i <= path->nr_io_cons; i++) {
			if (!path->cons[i] || !path->cons[i]->established)
				break;
		}
		if (i > path->nr_io_cons) {
			path->state = SRN_SRV_PATH_CONNECTED;
			pr_info("stor_rnbd_server: session %s: path from %pIS connected (%u I/O connections, %u chunks of %u bytes)\n",
				path->sess->name, &path->peer, path->nr_io_cons,
				path->queue_depth, path->chunk_size);
		}
	}
	mutex_unlock(&srn_srv_lock);
}

static int srn_srv_cm_handler(struct rdma_cm_id *id, struct rdma_cm_event *ev)
{
	struct srn_srv_con *con = id->context;

	if (ev->event == RDMA_CM_EVENT_CONNECT_REQUEST)
		return srn_srv_connect_request(id, ev);
	if (!con)
		return 0;	/* the listener */

	switch (ev->event) {
	case RDMA_CM_EVENT_ESTABLISHED:
		srn_srv_established(con);
		break;
	case RDMA_CM_EVENT_DISCONNECTED:
	case RDMA_CM_EVENT_CONNECT_ERROR:
	case RDMA_CM_EVENT_UNREACHABLE:
	case RDMA_CM_EVENT_REJECTED:
	case RDMA_CM_EVENT_ADDR_CHANGE:
	case RDMA_CM_EVENT_TIMEWAIT_EXIT:
	case RDMA_CM_EVENT_DEVICE_REMOVAL:
		/* Torn down in the path's close work, never here. */
		srn_srv_path_close(con->path);
		break;
	default:
		break;
	}
	return 0;
}

/* ------------------------------------------------------------ teardown */

static void srn_srv_path_close_work(struct work_struct *work)
{
	struct srn_srv_path *path = container_of(work, struct srn_srv_path,
						 close_work);
	struct srn_srv_sess *sess, *dying = NULL;
	struct srn_srv_con *con;
	unsigned int i;

	mutex_lock(&srn_srv_lock);
	path->state = SRN_SRV_PATH_CLOSING;
	sess = path->sess;
	mutex_unlock(&srn_srv_lock);
	if (sess)
		pr_info("stor_rnbd_server: session %s: closing the path from %pIS\n",
			sess->name, &path->peer);

	/* Moves every QP to the error state: what is queued flushes. */
	for (i = 0; i <= SRN_MAX_IO_CONS; i++) {
		con = path->cons[i];
		if (con)
			rdma_disconnect(con->cm_id);
	}
	/* No receive completion (no new request or message) after this. */
	for (i = 0; i <= SRN_MAX_IO_CONS; i++) {
		con = path->cons[i];
		if (con && con->qp)
			ib_drain_rq(con->qp);
	}
	con = path->cons[0];
	if (con && con->ius) {
		for (i = 0; i < SRN_CTL_RECV_BUFS; i++)
			cancel_work_sync(&con->ius[i].work);
	}
	/* Bios in flight finish and post (flushed) responses. */
	if (!atomic_dec_and_test(&path->inflight))
		wait_for_completion(&path->drained);
	for (i = 0; i <= SRN_MAX_IO_CONS; i++) {
		con = path->cons[i];
		if (con && con->qp)
			ib_drain_sq(con->qp);
	}

	mutex_lock(&srn_srv_lock);
	list_del(&path->list);
	if (sess) {
		list_del(&path->sess_list);
		if (--sess->nr_paths == 0) {
			sess->dying = true;
			dying = sess;
		}
	}
	mutex_unlock(&srn_srv_lock);

	srn_srv_path_free(path);

	if (dying) {
		srn_srv_sess_close_devs(dying);
		mutex_lock(&srn_srv_lock);
		list_del(&dying->list);
		mutex_unlock(&srn_srv_lock);
		pr_info("stor_rnbd_server: session %s closed\n", dying->name);
		xa_destroy(&dying->devs);
		kfree(dying);
	}
}

/* Module unload: close every path and wait until they are all gone. */
void srn_srv_close_all(void)
{
	struct srn_srv_path *path;
	bool empty;

	for (;;) {
		mutex_lock(&srn_srv_lock);
		list_for_each_entry(path, &srn_srv_paths, list)
			srn_srv_path_close(path);
		empty = list_empty(&srn_srv_paths) &&
			list_empty(&srn_srv_sessions);
		mutex_unlock(&srn_srv_lock);
		if (empty)
			break;
		flush_workqueue(srn_srv_wq);
	}
}

/* ------------------------------------------------------------ heartbeat */

static void srn_srv_hb_check(struct work_struct *work)
{
	unsigned long timeout = msecs_to_jiffies(srn_srv_hb_timeout_ms);
	struct srn_srv_path *path;

	mutex_lock(&srn_srv_lock);
	list_for_each_entry(path, &srn_srv_paths, list) {
		if (path->state == SRN_SRV_PATH_CLOSING)
			continue;
		if (time_after(jiffies, READ_ONCE(path->last_rx) + timeout)) {
			pr_warn("stor_rnbd_server: session %s: no heartbeat from %pIS for %u ms, closing the path\n",
				path->sess ? path->sess->name : "-",
				&path->peer, srn_srv_hb_timeout_ms);
			srn_srv_path_close(path);
		}
	}
	mutex_unlock(&srn_srv_lock);
	queue_delayed_work(srn_srv_wq, &srn_srv_hb_work, HZ);
}

int srn_srv_hb_start(void)
{
	INIT_DELAYED_WORK(&srn_srv_hb_work, srn_srv_hb_check);
	if (srn_srv_hb_timeout_ms)
		queue_delayed_work(srn_srv_wq, &srn_srv_hb_work, HZ);
	return 0;
}

void srn_srv_hb_stop(void)
{
	cancel_delayed_work_sync(&srn_srv_hb_work);
}

/* ------------------------------------------------------------ listener */

int srn_srv_listen(void)
{
	struct sockaddr_in6 sin6 = {
		.sin6_family = AF_INET6,
		.sin6_addr = IN6ADDR_ANY_INIT,
		.sin6_port = htons(srn_srv_port),
	};
	struct sockaddr_in sin = {
		.sin_family = AF_INET,
		.sin_addr.s_addr = htonl(INADDR_ANY),
		.sin_port = htons(srn_srv_port),
	};
	struct rdma_cm_id *id;
	int ret;

	id = rdma_create_id(&init_net, srn_srv_cm_handler, NULL, RDMA_PS_TCP,
			    IB_QPT_RC);
	if (IS_ERR(id))
		return PTR_ERR(id);
	/* The IPv6 wildcard takes IPv4 as well unless bindv6only is set. */
	ret = rdma_bind_addr(id, (struct sockaddr *)&sin6);
	if (ret)
		ret = rdma_bind_addr(id, (struct sockaddr *)&sin);
	if (ret) {
		pr_err("stor_rnbd_server: cannot bind port %u: %d\n",
		       srn_srv_port, ret);
		goto err;
	}
	ret = rdma_listen(id, 128);
	if (ret) {
		pr_err("stor_rnbd_server: cannot listen on port %u: %d\n",
		       srn_srv_port, ret);
		goto err;
	}
	srn_srv_listen_id = id;
	return 0;
err:
	rdma_destroy_id(id);
	return ret;
}

void srn_srv_stop_listen(void)
{
	if (srn_srv_listen_id)
		rdma_destroy_id(srn_srv_listen_id);
	srn_srv_listen_id = NULL;
}
