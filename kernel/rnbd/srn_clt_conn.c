// SPDX-License-Identifier: GPL-2.0
/*
 * stor_rnbd_client paths: connecting, the control messages, heartbeats,
 * failure, teardown and reconnect.
 *
 * Connecting a path (srn_clt_path_connect(), process context, sess->lock
 * held): the control connection first, then SESS_INFO (the server's chunk
 * table), then the I/O connections.  Each connection is set up by this
 * thread; the RDMA CM handler only advances the address and route
 * resolution and reports each step through con->cm_done, so the QP and
 * everything else are created and destroyed by one thread.
 *
 * Any error on a connected path (an error completion, a CM disconnect or
 * device removal, a protocol violation, a missed heartbeat) calls
 * srn_clt_path_fail(), which may run in any context: it moves the path to
 * ERROR once and queues err_work.  err_work tears the path down under
 * sess->lock: after an RCU grace period no new request can be posted on
 * it; the QPs are drained, so no completion runs any more; the requests
 * still in flight on the path are requeued (they go to another path, or
 * wait for a reconnect up to the session's hold timeout); then every
 * resource is freed and a reconnect is scheduled.
 */
#include <linux/delay.h>
#include <linux/inet.h>
#include <linux/slab.h>

#include "srn_clt.h"

#define SRN_CLT_RESOLVE_MS	5000
#define SRN_CLT_CONNECT_MS	20000
#define SRN_CLT_CTL_TIMEOUT	(30 * HZ)

const char *srn_clt_path_state_name(int state)
{
	switch (state) {
	case SRN_CLT_PATH_DISCONNECTED:
		return "disconnected";
	case SRN_CLT_PATH_CONNECTING:
		return "connecting";
	case SRN_CLT_PATH_CONNECTED:
		return "connected";
	case SRN_CLT_PATH_ERROR:
		return "error";
	}
	return "unknown";
}

/* Wake a control request waiting on @path with @err. */
static void srn_clt_ctl_abort(struct srn_clt_path *path, int err)
{
	struct srn_clt_ctl_wait *w;
	unsigned long flags;

	spin_lock_irqsave(&path->ctl_lock, flags);
	w = path->ctl_wait;
	if (w) {
		path->ctl_wait = NULL;
		w->status = err;
		complete(&w->done);
	}
	spin_unlock_irqrestore(&path->ctl_lock, flags);
}

void srn_clt_path_fail(struct srn_clt_path *path, const char *why)
{
	if (cmpxchg(&path->state, SRN_CLT_PATH_CONNECTED,
		    SRN_CLT_PATH_ERROR) == SRN_CLT_PATH_CONNECTED) {
		pr_warn("stor_rnbd_client: session %s: path %pISpc failed: %s\n",
			path->sess->name, &path->dst, why);
		queue_work(srn_clt_wq, &path->err_work);
	} else if (READ_ONCE(path->state) == SRN_CLT_PATH_CONNECTING) {
		WRITE_ONCE(path->conn_failed, true);
	}
	srn_clt_ctl_abort(path, -ENOTCONN);
}

/* A work request of @path failed: log (unless flushed) and fail the path. */
void srn_clt_wc_error(struct srn_clt_path *path, struct ib_wc *wc,
		      const char *what)
{
	if (wc->status != IB_WC_WR_FLUSH_ERR)
		pr_warn_ratelimited("stor_rnbd_client: session %s: %s failed: %s\n",
				    path->sess->name, what,
				    ib_wc_status_msg(wc->status));
	srn_clt_path_fail(path, what);
}

/* ------------------------------------------------------------ control */

static int srn_clt_post_ctl_recv(struct srn_clt_ctl_buf *b)
{
	struct srn_clt_path *path = b->con->path;
	struct ib_sge sge = {
		.addr = b->dma,
		.length = SRN_CTL_MSG_SIZE,
		.lkey = path->pd->local_dma_lkey,
	};
	struct ib_recv_wr wr = {
		.wr_cqe = &b->cqe,
		.sg_list = &sge,
		.num_sge = 1,
	};

	ib_dma_sync_single_for_device(path->ibdev, b->dma, SRN_CTL_MSG_SIZE,
				      DMA_FROM_DEVICE);
	return ib_post_recv(b->con->qp, &wr, NULL);
}

/*
 * Device events in a heartbeat response (struct srn_hb_rsp): queue them
 * for the session's ev_work, which needs sess->lock.  Receive context.
 * Return: -EPROTO if the response is malformed.
 */
static int srn_clt_take_events(struct srn_clt_path *path,
			       const struct srn_hb_rsp *rsp)
{
	struct srn_clt_sess *sess = path->sess;
	u32 len = le32_to_cpu(rsp->hdr.len), nr, i;
	struct srn_clt_events *n;
	unsigned long flags;

	if (len < sizeof(*rsp))
		return -EPROTO;
	nr = le32_to_cpu(rsp->nr_events);
	if (!nr || nr > SRN_HB_MAX_EVENTS || rsp->reserved ||
	    len != struct_size(rsp, events, nr))
		return -EPROTO;
	for (i = 0; i < nr; i++) {
		if (rsp->events[i].reserved)
			return -EPROTO;
	}
	/* Without memory the events are lost; resize still works. */
	n = kmalloc(struct_size(n, events, nr), GFP_ATOMIC);
	if (!n)
		return 0;
	n->nr = nr;
	memcpy(n->events, rsp->events, nr * sizeof(n->events[0]));
	spin_lock_irqsave(&sess->ev_lock, flags);
	list_add_tail(&n->list, &sess->events);
	spin_unlock_irqrestore(&sess->ev_lock, flags);
	queue_work(srn_clt_wq, &sess->ev_work);
	return 0;
}

static void srn_clt_ctl_recv_done(struct ib_cq *cq, struct ib_wc *wc)
{
	struct srn_clt_ctl_buf *b = container_of(wc->wr_cqe,
						 struct srn_clt_ctl_buf, cqe);
	struct srn_clt_path *path = b->con->path;
	const struct srn_ctl_hdr *hdr = b->buf;
	struct srn_clt_ctl_wait *w;
	int type;

	if (wc->status != IB_WC_SUCCESS) {
		srn_clt_wc_error(path, wc, "control receive");
		return;
	}
	if (wc->opcode != IB_WC_RECV || (wc->wc_flags & IB_WC_WITH_IMM)) {
		srn_clt_path_fail(path, "unexpected message on the control connection");
		return;
	}
	ib_dma_sync_single_for_cpu(path->ibdev, b->dma, SRN_CTL_MSG_SIZE,
				   DMA_FROM_DEVICE);
	type = srn_ctl_hdr_check(hdr, wc->byte_len);
	if (type < 0) {
		srn_clt_path_fail(path, "malformed control message");
		return;
	}
	WRITE_ONCE(path->last_rx, jiffies);
	if (type == SRN_CTL_HB_RSP &&
	    le32_to_cpu(hdr->len) > sizeof(*hdr) &&
	    srn_clt_take_events(path, b->buf)) {
		srn_clt_path_fail(path, "malformed heartbeat response");
		return;
	}
	if (type != SRN_CTL_HB_RSP) {
		spin_lock(&path->ctl_lock);
		w = path->ctl_wait;
		if (w && le32_to_cpu(hdr->tag) == w->tag && type == w->type) {
			u32 len = le32_to_cpu(hdr->len);

			memcpy(w->buf, hdr, min(len, w->max));
			w->len = len;
			w->status = 0;
			path->ctl_wait = NULL;
			complete(&w->done);
		} else {
			pr_warn_ratelimited("stor_rnbd_client: session %s: unexpected control message (type %d)\n",
					    path->sess->name, type);
		}
		spin_unlock(&path->ctl_lock);
	}
	if (srn_clt_post_ctl_recv(b))
		srn_clt_path_fail(path, "cannot post a control receive");
}

static void srn_clt_ctl_send_done(struct ib_cq *cq, struct ib_wc *wc)
{
	struct srn_clt_path *path = container_of(wc->wr_cqe,
						 struct srn_clt_path,
						 ctl_send_cqe);

	if (wc->status != IB_WC_SUCCESS)
		srn_clt_wc_error(path, wc, "control send");
	complete(&path->ctl_send_done);
}

/*
 * Send the control message @msg (@len bytes, header filled in but for the
 * tag) on @path and wait for the response of type @rsp_type, copied to
 * @rsp (at most @rsp_max bytes).  Return: 0 with *@rsp_len set, or a
 * negative errno (transport failure; the response's own status is the
 * caller's to check).
 */
static int srn_clt_ctl_xfer(struct srn_clt_path *path, const void *msg,
			    u32 len, u16 rsp_type, void *rsp, u32 rsp_max,
			    u32 *rsp_len)
{
	struct srn_clt_ctl_wait wait = {
		.type = rsp_type,
		.buf = rsp,
		.max = rsp_max,
	};
	struct ib_sge sge;
	struct ib_send_wr wr = {
		.opcode = IB_WR_SEND,
		.wr_cqe = &path->ctl_send_cqe,
		.send_flags = IB_SEND_SIGNALED,
		.sg_list = &sge,
		.num_sge = 1,
	};
	unsigned long flags;
	int ret;

	if (len > SRN_CTL_MSG_SIZE)
		return -EINVAL;
	mutex_lock(&path->ctl_mutex);
	init_completion(&wait.done);
	wait.tag = ++path->ctl_tag;
	memcpy(path->ctl_buf, msg, len);
	((struct srn_ctl_hdr *)path->ctl_buf)->tag = cpu_to_le32(wait.tag);
	ib_dma_sync_single_for_device(path->ibdev, path->ctl_dma,
				      SRN_CTL_MSG_SIZE, DMA_TO_DEVICE);

	spin_lock_irqsave(&path->ctl_lock, flags);
	path->ctl_wait = &wait;
	spin_unlock_irqrestore(&path->ctl_lock, flags);

	reinit_completion(&path->ctl_send_done);
	sge.addr = path->ctl_dma;
	sge.length = len;
	sge.lkey = path->pd->local_dma_lkey;
	ret = ib_post_send(path->cons[0]->qp, &wr, NULL);
	if (ret) {
		srn_clt_ctl_abort(path, ret);
		goto out;
	}
	if (!wait_for_completion_timeout(&wait.done, SRN_CLT_CTL_TIMEOUT)) {
		srn_clt_path_fail(path, "control request timed out");
		/* srn_clt_path_fail() completed it, if nobody else did. */
		wait_for_completion(&wait.done);
		if (!wait.status)
			wait.status = -ETIMEDOUT;
	}
	ret = wait.status;
	/* The send buffer is ours again once its completion arrived. */
	if (!wait_for_completion_timeout(&path->ctl_send_done,
					 SRN_CLT_CTL_TIMEOUT)) {
		srn_clt_path_fail(path, "control send did not complete");
		if (!ret)
			ret = -ETIMEDOUT;
	}
	*rsp_len = wait.len;
out:
	mutex_unlock(&path->ctl_mutex);
	return ret;
}

/* A response status: 0 or a positive errno, as a negative errno. */
static int srn_clt_status(__le32 status)
{
	u32 st = le32_to_cpu(status);

	if (!st)
		return 0;
	return st < MAX_ERRNO ? -(int)st : -EIO;
}

int srn_clt_open_remote(struct srn_clt_path *path, const char *dev_path,
			u32 access_mode, struct srn_open_rsp *rsp)
{
	struct srn_open_req *req;
	u32 len, lbs, pbs;
	int ret;

	req = kzalloc(sizeof(*req), GFP_KERNEL);
	if (!req)
		return -ENOMEM;
	srn_ctl_hdr_init(&req->hdr, SRN_CTL_OPEN_REQ, sizeof(*req), 0, 0);
	req->access_mode = cpu_to_le16(access_mode);
	strscpy(req->dev_path, dev_path, sizeof(req->dev_path));
	memset(rsp, 0, sizeof(*rsp));
	ret = srn_clt_ctl_xfer(path, req, sizeof(*req), SRN_CTL_OPEN_RSP, rsp,
			       sizeof(*rsp), &len);
	kfree(req);
	if (ret)
		return ret;
	if (len < sizeof(rsp->hdr))
		return -EPROTO;
	ret = srn_clt_status(rsp->hdr.status);
	if (ret)
		return ret;
	if (len < sizeof(*rsp))
		return -EPROTO;
	lbs = le32_to_cpu(rsp->logical_block_size);
	pbs = le32_to_cpu(rsp->physical_block_size);
	if (!rsp->dev_id || !srn_zeroed(rsp->reserved, sizeof(rsp->reserved)) ||
	    !is_power_of_2(lbs) || lbs < SECTOR_SIZE ||
	    lbs > PAGE_SIZE || !is_power_of_2(pbs) || pbs < lbs ||
	    !IS_ALIGNED(le64_to_cpu(rsp->nr_sectors) << SECTOR_SHIFT, lbs)) {
		pr_warn("stor_rnbd_client: session %s: bad OPEN response for %s\n",
			path->sess->name, dev_path);
		return -EPROTO;
	}
	return 0;
}

int srn_clt_close_remote(struct srn_clt_path *path, u32 dev_id)
{
	struct srn_close_req req = {};
	struct srn_ctl_hdr rsp = {};
	u32 len;
	int ret;

	srn_ctl_hdr_init(&req.hdr, SRN_CTL_CLOSE_REQ, sizeof(req), 0, 0);
	req.dev_id = cpu_to_le32(dev_id);
	ret = srn_clt_ctl_xfer(path, &req, sizeof(req), SRN_CTL_CLOSE_RSP, &rsp,
			       sizeof(rsp), &len);
	if (ret)
		return ret;
	return srn_clt_status(rsp.status);
}

static int srn_clt_sess_info(struct srn_clt_path *path, u16 want_qd,
			     u32 want_io)
{
	struct srn_clt_sess *sess = path->sess;
	struct srn_sess_info_req req = {};
	struct srn_sess_info_rsp *rsp;
	u32 len, qd, nr, max_io, chunk_size, i;
	int ret;

	rsp = kzalloc(SRN_CTL_MSG_SIZE, GFP_KERNEL);
	if (!rsp)
		return -ENOMEM;
	srn_ctl_hdr_init(&req.hdr, SRN_CTL_SESS_INFO_REQ, sizeof(req), 0, 0);
	strscpy(req.sessname, sess->name, sizeof(req.sessname));
	ret = srn_clt_ctl_xfer(path, &req, sizeof(req), SRN_CTL_SESS_INFO_RSP,
			       rsp, SRN_CTL_MSG_SIZE, &len);
	if (ret)
		goto out;
	ret = -EPROTO;
	if (len < sizeof(rsp->hdr))
		goto out;
	ret = srn_clt_status(rsp->hdr.status);
	if (ret)
		goto out;
	ret = -EPROTO;
	if (len < sizeof(*rsp))
		goto out;
	qd = le16_to_cpu(rsp->queue_depth);
	nr = le16_to_cpu(rsp->nr_io_cons);
	max_io = le32_to_cpu(rsp->max_io_size);
	chunk_size = le32_to_cpu(rsp->chunk_size);
	if (!qd || qd > want_qd || nr != path->nr_io_cons ||
	    max_io < SRN_MIN_IO_SIZE || max_io > want_io ||
	    !IS_ALIGNED(max_io, SRN_MIN_IO_SIZE) ||
	    chunk_size < max_io + SRN_IO_ALIGN || !rsp->path_token ||
	    !srn_zeroed(rsp->reserved, sizeof(rsp->reserved)) ||
	    len < sizeof(*rsp) + qd * sizeof(rsp->chunks[0])) {
		pr_warn("stor_rnbd_client: session %s: bad SESS_INFO response\n",
			sess->name);
		goto out;
	}
	if (!sess->params_set) {
		if (qd < nr) {
			pr_warn("stor_rnbd_client: session %s: server queue depth %u is below the %u connections\n",
				sess->name, qd, nr);
			goto out;
		}
		sess->nr_io_cons = nr;
		sess->depth_per_queue = qd / nr;
		sess->queue_depth = sess->depth_per_queue * nr;
		sess->max_io_size = max_io;
		sess->max_segments = max_io / PAGE_SIZE + 1;
		sess->params_set = true;
	} else if (qd < sess->queue_depth || max_io < sess->max_io_size) {
		pr_warn("stor_rnbd_client: session %s: the server now offers %u chunks of %u bytes, the session uses %u of %u\n",
			sess->name, qd, max_io, sess->queue_depth,
			sess->max_io_size);
		goto out;
	}
	path->chunks = kcalloc(sess->queue_depth, sizeof(*path->chunks),
			       GFP_KERNEL);
	if (!path->chunks) {
		ret = -ENOMEM;
		goto out;
	}
	for (i = 0; i < sess->queue_depth; i++) {
		path->chunks[i].addr =
			(u64)le32_to_cpu(rsp->chunks[i].addr_hi) << 32 |
			le32_to_cpu(rsp->chunks[i].addr_lo);
		path->chunks[i].rkey = le32_to_cpu(rsp->chunks[i].rkey);
	}
	path->token = le32_to_cpu(rsp->path_token);
	ret = 0;
out:
	kfree(rsp);
	return ret;
}

/* ------------------------------------------------------------ heartbeat */

static void srn_clt_hb_send_done(struct ib_cq *cq, struct ib_wc *wc)
{
	struct srn_clt_path *path = container_of(wc->wr_cqe,
						 struct srn_clt_path, hb_cqe);

	if (wc->status != IB_WC_SUCCESS)
		srn_clt_wc_error(path, wc, "heartbeat send");
	atomic_set(&path->hb_busy, 0);
}

static void srn_clt_hb_work(struct work_struct *work)
{
	struct srn_clt_path *path = container_of(to_delayed_work(work),
						 struct srn_clt_path, hb_work);
	unsigned int timeout_ms = READ_ONCE(srn_clt_hb_timeout_ms);
	unsigned int interval_ms = max(READ_ONCE(srn_clt_hb_interval_ms), 100U);
	struct ib_sge sge;
	struct ib_send_wr wr = {
		.opcode = IB_WR_SEND,
		.wr_cqe = &path->hb_cqe,
		.send_flags = IB_SEND_SIGNALED,
		.sg_list = &sge,
		.num_sge = 1,
	};

	/* Pairs with the release in srn_clt_path_connect(). */
	if (smp_load_acquire(&path->state) != SRN_CLT_PATH_CONNECTED)
		return;
	if (timeout_ms && time_after(jiffies, READ_ONCE(path->last_rx) +
				     msecs_to_jiffies(timeout_ms))) {
		srn_clt_path_fail(path, "heartbeat timeout");
		return;
	}
	if (!atomic_xchg(&path->hb_busy, 1)) {
		sge.addr = path->hb_dma;
		sge.length = sizeof(struct srn_ctl_hdr);
		sge.lkey = path->pd->local_dma_lkey;
		if (ib_post_send(path->cons[0]->qp, &wr, NULL)) {
			srn_clt_path_fail(path, "cannot send a heartbeat");
			return;
		}
	}
	queue_delayed_work(srn_clt_wq, &path->hb_work,
			   msecs_to_jiffies(interval_ms));
}

/* ------------------------------------------------------------ connections */

static int srn_clt_cm_handler(struct rdma_cm_id *id, struct rdma_cm_event *ev)
{
	struct srn_clt_con *con = id->context;
	struct srn_clt_path *path = con->path;
	const struct srn_conn_rsp *rsp;
	int status = 0, ret;
	u8 len = 0;

	switch (ev->event) {
	case RDMA_CM_EVENT_ADDR_RESOLVED:
		ret = rdma_resolve_route(id, SRN_CLT_RESOLVE_MS);
		if (ret) {
			con->cm_status = ret;
			complete(&con->cm_done);
		}
		return 0;
	case RDMA_CM_EVENT_ROUTE_RESOLVED:
		break;
	case RDMA_CM_EVENT_ESTABLISHED:
		rsp = ev->param.conn.private_data;
		if (!rsp || ev->param.conn.private_data_len < sizeof(*rsp) ||
		    le16_to_cpu(rsp->magic) != SRN_MAGIC ||
		    le16_to_cpu(rsp->version) != SRN_PROTO_VERSION ||
		    rsp->status || rsp->reserved) {
			status = -EPROTO;
			break;
		}
		con->established = true;
		break;
	case RDMA_CM_EVENT_REJECTED:
		rsp = rdma_consumer_reject_data(id, ev, &len);
		status = -ECONNREFUSED;
		if (rsp && len >= sizeof(*rsp) &&
		    le16_to_cpu(rsp->magic) == SRN_MAGIC && rsp->status &&
		    le16_to_cpu(rsp->status) < MAX_ERRNO)
			status = -(int)le16_to_cpu(rsp->status);
		break;
	case RDMA_CM_EVENT_ADDR_ERROR:
	case RDMA_CM_EVENT_ROUTE_ERROR:
	case RDMA_CM_EVENT_UNREACHABLE:
		status = -EHOSTUNREACH;
		break;
	case RDMA_CM_EVENT_CONNECT_ERROR:
		status = -ECONNRESET;
		break;
	case RDMA_CM_EVENT_DISCONNECTED:
	case RDMA_CM_EVENT_DEVICE_REMOVAL:
	case RDMA_CM_EVENT_ADDR_CHANGE:
	case RDMA_CM_EVENT_TIMEWAIT_EXIT:
		if (con->established) {
			/* Freed by err_work, never from here. */
			srn_clt_path_fail(path, rdma_event_msg(ev->event));
			return 0;
		}
		status = -ECONNRESET;
		break;
	default:
		return 0;
	}
	con->cm_status = status;
	complete(&con->cm_done);
	return 0;
}

static int srn_clt_con_wait(struct srn_clt_con *con, unsigned int ms)
{
	if (!wait_for_completion_timeout(&con->cm_done, msecs_to_jiffies(ms)))
		return -ETIMEDOUT;
	return READ_ONCE(con->cm_status);
}

static int srn_clt_post_io_recv(struct srn_clt_con *con)
{
	struct ib_recv_wr wr = {
		.wr_cqe = &con->recv_cqe,
	};

	return ib_post_recv(con->qp, &wr, NULL);
}

/* The path's control buffers, on the control connection's device. */
static int srn_clt_path_ctl_bufs(struct srn_clt_path *path,
				 struct srn_clt_con *con)
{
	unsigned int i;

	con->bufs = kcalloc(SRN_CTL_RECV_BUFS, sizeof(*con->bufs), GFP_KERNEL);
	if (!con->bufs)
		return -ENOMEM;
	for (i = 0; i < SRN_CTL_RECV_BUFS; i++) {
		struct srn_clt_ctl_buf *b = &con->bufs[i];

		b->con = con;
		b->cqe.done = srn_clt_ctl_recv_done;
		b->buf = kzalloc(SRN_CTL_MSG_SIZE, GFP_KERNEL);
		if (!b->buf)
			return -ENOMEM;
		b->dma = ib_dma_map_single(path->ibdev, b->buf, SRN_CTL_MSG_SIZE,
					   DMA_FROM_DEVICE);
		if (ib_dma_mapping_error(path->ibdev, b->dma)) {
			b->dma = 0;
			return -ENOMEM;
		}
	}
	path->ctl_buf = kzalloc(SRN_CTL_MSG_SIZE, GFP_KERNEL);
	path->hb_buf = kzalloc(sizeof(*path->hb_buf), GFP_KERNEL);
	if (!path->ctl_buf || !path->hb_buf)
		return -ENOMEM;
	srn_ctl_hdr_init(path->hb_buf, SRN_CTL_HB_REQ,
			 sizeof(struct srn_ctl_hdr), 0, 0);
	path->ctl_dma = ib_dma_map_single(path->ibdev, path->ctl_buf,
					  SRN_CTL_MSG_SIZE, DMA_TO_DEVICE);
	if (ib_dma_mapping_error(path->ibdev, path->ctl_dma)) {
		path->ctl_dma = 0;
		return -ENOMEM;
	}
	path->hb_dma = ib_dma_map_single(path->ibdev, path->hb_buf,
					 sizeof(*path->hb_buf), DMA_TO_DEVICE);
	if (ib_dma_mapping_error(path->ibdev, path->hb_dma)) {
		path->hb_dma = 0;
		return -ENOMEM;
	}
	path->ctl_send_cqe.done = srn_clt_ctl_send_done;
	path->hb_cqe.done = srn_clt_hb_send_done;
	return 0;
}

/* CQ, QP and posted receives of a connection whose route is resolved. */
static int srn_clt_con_setup(struct srn_clt_con *con)
{
	struct srn_clt_path *path = con->path;
	struct srn_clt_sess *sess = path->sess;
	struct ib_device *ibdev = con->cm_id->device;
	struct ib_qp_init_attr attr = {};
	unsigned int sq, rq, i;
	int ret;

	if (con->con_id == 0) {
		path->ibdev = ibdev;
		path->pd = ib_alloc_pd(ibdev, 0);
		if (IS_ERR(path->pd)) {
			ret = PTR_ERR(path->pd);
			path->pd = NULL;
			return ret;
		}
		ret = srn_clt_path_ctl_bufs(path, con);
		if (ret)
			return ret;
		sq = 4;
		rq = SRN_CTL_RECV_BUFS;
	} else {
		if (ibdev != path->ibdev)
			return -EXDEV;
		/*
		 * Pages plus the header (max_segments is known after
		 * SESS_INFO); at least 2, an MR and the header.
		 */
		path->sge_per_wr = max_t(u32, 2,
					 min_t(u32, ibdev->attrs.max_send_sge,
					       sess->max_segments + 1));
		/*
		 * Per request: REG_MR, RDMA WRITE WITH IMM and LOCAL_INV, or
		 * up to SRN_CLT_WRITE_WRS RDMA WRITEs for a write.
		 */
		sq = max(3, SRN_CLT_WRITE_WRS) * sess->depth_per_queue + 4;
		rq = sess->depth_per_queue + 2;
		con->recv_cqe.done = srn_clt_io_recv_done;
	}
	/* The last nr_poll_queues I/O connections are polled by blk-mq. */
	con->cq = ib_alloc_cq(ibdev, con, sq + rq + 1,
			      con->con_id % ibdev->num_comp_vectors,
			      con->con_id > path->nr_io_cons - sess->nr_poll_queues ?
			      IB_POLL_DIRECT : IB_POLL_SOFTIRQ);
	if (IS_ERR(con->cq)) {
		ret = PTR_ERR(con->cq);
		con->cq = NULL;
		return ret;
	}
	attr.qp_context = con;
	attr.send_cq = con->cq;
	attr.recv_cq = con->cq;
	attr.cap.max_send_wr = sq;
	attr.cap.max_recv_wr = rq;
	attr.cap.max_send_sge = con->con_id ? path->sge_per_wr : 2;
	attr.cap.max_recv_sge = 1;
	attr.sq_sig_type = IB_SIGNAL_REQ_WR;
	attr.qp_type = IB_QPT_RC;
	ret = rdma_create_qp(con->cm_id, path->pd, &attr);
	if (ret)
		return ret;
	con->qp = con->cm_id->qp;
	if (con->con_id == 0) {
		for (i = 0; i < SRN_CTL_RECV_BUFS; i++) {
			ret = srn_clt_post_ctl_recv(&con->bufs[i]);
			if (ret)
				return ret;
		}
	} else {
		for (i = 0; i < rq; i++) {
			ret = srn_clt_post_io_recv(con);
			if (ret)
				return ret;
		}
	}
	return 0;
}

static int srn_clt_con_connect(struct srn_clt_path *path, u16 con_id,
			       u16 want_qd, u32 want_io)
{
	struct srn_clt_sess *sess = path->sess;
	struct srn_conn_req req = {
		.magic = cpu_to_le16(SRN_MAGIC),
		.version = cpu_to_le16(SRN_PROTO_VERSION),
		.con_id = cpu_to_le16(con_id),
		.nr_io_cons = cpu_to_le16(path->nr_io_cons),
	};
	struct rdma_conn_param param = {
		.private_data = &req,
		.private_data_len = sizeof(req),
		.retry_count = 7,
		.rnr_retry_count = 7,
	};
	struct srn_clt_con *con;
	struct rdma_cm_id *id;
	int ret;

	con = kzalloc(sizeof(*con), GFP_KERNEL);
	if (!con)
		return -ENOMEM;
	con->path = path;
	con->con_id = con_id;
	init_completion(&con->cm_done);
	path->cons[con_id] = con;

	id = rdma_create_id(&init_net, srn_clt_cm_handler, con, RDMA_PS_TCP,
			    IB_QPT_RC);
	if (IS_ERR(id))
		return PTR_ERR(id);
	con->cm_id = id;
	ret = rdma_resolve_addr(id, path->has_src ?
				(struct sockaddr *)&path->src : NULL,
				(struct sockaddr *)&path->dst,
				SRN_CLT_RESOLVE_MS);
	if (ret)
		return ret;
	ret = srn_clt_con_wait(con, 2 * SRN_CLT_RESOLVE_MS + 1000);
	if (ret)
		return ret;
	ret = srn_clt_con_setup(con);
	if (ret)
		return ret;

	if (con_id == 0) {
		req.queue_depth = cpu_to_le16(want_qd);
		req.max_io_size = cpu_to_le32(want_io);
	} else {
		req.path_token = cpu_to_le32(path->token);
	}
	export_uuid(req.sess_uuid, &sess->uuid);
	export_uuid(req.path_uuid, &path->uuid);
	reinit_completion(&con->cm_done);
	ret = rdma_connect(id, &param);
	if (ret)
		return ret;
	return srn_clt_con_wait(con, SRN_CLT_CONNECT_MS);
}

/*
 * The landing buffer of @iu for small reads.  Without it (no memory) the
 * iu's reads register their pages, like larger ones.
 */
static void srn_clt_iu_alloc_rb(struct srn_clt_path *path,
				struct srn_clt_iu *iu)
{
	struct scatterlist sg;

	iu->rb = kmalloc(path->rb_size, GFP_KERNEL | __GFP_NOWARN);
	if (!iu->rb)
		return;
	iu->rb_dma = ib_dma_map_single(path->ibdev, iu->rb, path->rb_size,
				       DMA_FROM_DEVICE);
	if (ib_dma_mapping_error(path->ibdev, iu->rb_dma))
		goto err_free;
	iu->rb_mr = ib_alloc_mr(path->pd, IB_MR_TYPE_MEM_REG,
				DIV_ROUND_UP(path->rb_size, PAGE_SIZE) + 1);
	if (IS_ERR(iu->rb_mr)) {
		iu->rb_mr = NULL;
		goto err_unmap;
	}
	sg_init_table(&sg, 1);
	sg_dma_address(&sg) = iu->rb_dma;
	sg_dma_len(&sg) = path->rb_size;
	if (ib_map_mr_sg(iu->rb_mr, &sg, 1, NULL, PAGE_SIZE) != 1)
		goto err_mr;
	return;

err_mr:
	ib_dereg_mr(iu->rb_mr);
	iu->rb_mr = NULL;
err_unmap:
	ib_dma_unmap_single(path->ibdev, iu->rb_dma, path->rb_size,
			    DMA_FROM_DEVICE);
err_free:
	kfree(iu->rb);
	iu->rb = NULL;
}

static void srn_clt_iu_free_rb(struct srn_clt_path *path,
			       struct srn_clt_iu *iu)
{
	if (!iu->rb)
		return;
	if (iu->rb_mr)
		ib_dereg_mr(iu->rb_mr);
	ib_dma_unmap_single(path->ibdev, iu->rb_dma, path->rb_size,
			    DMA_FROM_DEVICE);
	kfree(iu->rb);
	iu->rb = NULL;
	iu->rb_mr = NULL;
}

static int srn_clt_path_alloc_ius(struct srn_clt_path *path)
{
	struct srn_clt_sess *sess = path->sess;
	unsigned int i;

	path->ius = kvcalloc(sess->queue_depth, sizeof(*path->ius), GFP_KERNEL);
	path->reqs = kcalloc(sess->queue_depth, sizeof(*path->reqs),
			     GFP_KERNEL);
	path->sges = kvcalloc(sess->queue_depth, (sess->max_segments + 1) *
			      sizeof(*path->sges), GFP_KERNEL);
	if (!path->ius || !path->reqs || !path->sges)
		return -ENOMEM;
	path->reqs_dma = ib_dma_map_single(path->ibdev, path->reqs,
					   sess->queue_depth *
					   sizeof(*path->reqs), DMA_TO_DEVICE);
	if (ib_dma_mapping_error(path->ibdev, path->reqs_dma)) {
		path->reqs_dma = 0;
		return -ENOMEM;
	}
	for (i = 0; i < sess->queue_depth; i++) {
		struct srn_clt_iu *iu = &path->ius[i];

		iu->path = path;
		iu->chunk = i;
		iu->req = &path->reqs[i];
		iu->req_dma = path->reqs_dma + i * sizeof(*path->reqs);
		iu->send_cqe.done = srn_clt_iu_send_done;
		iu->reg_cqe.done = srn_clt_iu_reg_done;
		iu->inv_cqe.done = srn_clt_iu_inv_done;
		iu->data_cqe.done = srn_clt_iu_data_done;
		iu->sge = &path->sges[i * (sess->max_segments + 1)];
		iu->mr = ib_alloc_mr(path->pd, IB_MR_TYPE_MEM_REG,
				     sess->max_segments);
		if (IS_ERR(iu->mr)) {
			int ret = PTR_ERR(iu->mr);

			iu->mr = NULL;
			return ret;
		}
		if (path->rb_size)
			srn_clt_iu_alloc_rb(path, iu);
	}
	return 0;
}

/*
 * Free everything a (maybe partly) connected path holds.  sess->lock held,
 * path in SRN_CLT_PATH_ERROR: nobody posts on it any more once an RCU grace
 * period has passed.
 */
static void srn_clt_path_teardown(struct srn_clt_path *path)
{
	struct srn_clt_sess *sess = path->sess;
	struct srn_clt_con *con;
	bool requeued = false;
	unsigned int i, j;

	lockdep_assert_held(&sess->lock);
	/* queue_rq() callers that saw the path connected have posted. */
	synchronize_rcu();
	cancel_delayed_work_sync(&path->hb_work);
	srn_clt_ctl_abort(path, -ENOTCONN);

	for (i = 0; i <= SRN_MAX_IO_CONS; i++) {
		con = path->cons[i];
		if (con && con->cm_id && con->established)
			rdma_disconnect(con->cm_id);
	}
	/* After this no completion handler runs for the path. */
	for (i = 0; i <= SRN_MAX_IO_CONS; i++) {
		con = path->cons[i];
		if (con && con->qp)
			ib_drain_qp(con->qp);
	}
	if (path->ius) {
		for (i = 0; i < sess->queue_depth; i++) {
			if (path->ius[i].rq) {
				srn_clt_iu_reclaim(&path->ius[i]);
				requeued = true;
			}
		}
	}
	if (requeued)
		srn_clt_kick_devs(sess);

	if (path->ius) {
		for (i = 0; i < sess->queue_depth; i++) {
			if (path->ius[i].mr)
				ib_dereg_mr(path->ius[i].mr);
			srn_clt_iu_free_rb(path, &path->ius[i]);
		}
		kvfree(path->ius);
		path->ius = NULL;
	}
	if (path->reqs_dma)
		ib_dma_unmap_single(path->ibdev, path->reqs_dma,
				    sess->queue_depth * sizeof(*path->reqs),
				    DMA_TO_DEVICE);
	path->reqs_dma = 0;
	kfree(path->reqs);
	path->reqs = NULL;
	kvfree(path->sges);
	path->sges = NULL;
	kfree(path->chunks);
	path->chunks = NULL;

	for (i = 0; i <= SRN_MAX_IO_CONS; i++) {
		con = path->cons[i];
		if (!con)
			continue;
		if (con->qp)
			rdma_destroy_qp(con->cm_id);
		con->qp = NULL;
		if (con->cq)
			ib_free_cq(con->cq);
		con->cq = NULL;
		if (con->bufs) {
			for (j = 0; j < SRN_CTL_RECV_BUFS; j++) {
				if (con->bufs[j].dma)
					ib_dma_unmap_single(path->ibdev,
							    con->bufs[j].dma,
							    SRN_CTL_MSG_SIZE,
							    DMA_FROM_DEVICE);
				kfree(con->bufs[j].buf);
			}
			kfree(con->bufs);
			con->bufs = NULL;
		}
	}
	if (path->ctl_dma)
		ib_dma_unmap_single(path->ibdev, path->ctl_dma,
				    SRN_CTL_MSG_SIZE, DMA_TO_DEVICE);
	if (path->hb_dma)
		ib_dma_unmap_single(path->ibdev, path->hb_dma,
				    sizeof(struct srn_ctl_hdr), DMA_TO_DEVICE);
	path->ctl_dma = 0;
	path->hb_dma = 0;
	kfree(path->ctl_buf);
	kfree(path->hb_buf);
	path->ctl_buf = NULL;
	path->hb_buf = NULL;
	if (path->pd)
		ib_dealloc_pd(path->pd);
	path->pd = NULL;
	path->ibdev = NULL;
	/* Last: the CM ids keep the RDMA device from going away. */
	for (i = 0; i <= SRN_MAX_IO_CONS; i++) {
		con = path->cons[i];
		if (!con)
			continue;
		if (con->cm_id)
			rdma_destroy_id(con->cm_id);
		kfree(con);
		path->cons[i] = NULL;
	}
	atomic_set(&path->inflight, 0);
}

/* Interrupt-driven I/O connections plus the session's polled ones. */
static u16 srn_clt_want_io_cons(struct srn_clt_sess *sess)
{
	unsigned int n = READ_ONCE(srn_clt_nr_io_cons);

	if (!n)
		n = num_online_cpus();
	n = clamp_t(unsigned int, n, 1,
		    SRN_MAX_IO_CONS - sess->nr_poll_queues);
	return n + sess->nr_poll_queues;
}

/* Connect @path.  sess->lock held, path disconnected. */
int srn_clt_path_connect(struct srn_clt_path *path)
{
	struct srn_clt_sess *sess = path->sess;
	u16 want_qd;
	u32 want_io;
	unsigned int i;
	int ret;

	lockdep_assert_held(&sess->lock);
	if (sess->params_set) {
		path->nr_io_cons = sess->nr_io_cons;
		want_qd = sess->queue_depth;
		want_io = sess->max_io_size;
	} else {
		path->nr_io_cons = srn_clt_want_io_cons(sess);
		want_qd = clamp_t(unsigned int, READ_ONCE(srn_clt_queue_depth),
				  path->nr_io_cons, SRN_MAX_QUEUE_DEPTH);
		want_io = clamp_t(unsigned int, READ_ONCE(srn_clt_max_io_size),
				  SRN_MIN_IO_SIZE, SRN_MAX_IO_SIZE);
		want_io = round_down(want_io, SRN_MIN_IO_SIZE);
	}
	WRITE_ONCE(path->conn_failed, false);
	WRITE_ONCE(path->state, SRN_CLT_PATH_CONNECTING);

	ret = srn_clt_con_connect(path, 0, want_qd, want_io);
	if (ret)
		goto fail;
	ret = srn_clt_sess_info(path, want_qd, want_io);
	if (ret)
		goto fail;
	path->rb_size = min(round_down(READ_ONCE(srn_clt_small_read_size),
				       SRN_MIN_IO_SIZE),
			    min_t(u32, SZ_64K, path->sess->max_io_size));
	ret = srn_clt_path_alloc_ius(path);
	if (ret)
		goto fail;
	for (i = 1; i <= path->nr_io_cons; i++) {
		ret = srn_clt_con_connect(path, i, 0, 0);
		if (ret)
			goto fail;
	}
	if (READ_ONCE(path->conn_failed)) {
		ret = -ECONNRESET;
		goto fail;
	}
	WRITE_ONCE(path->last_rx, jiffies);
	atomic_set(&path->hb_busy, 0);
	/* Everything above is visible to whoever sees CONNECTED. */
	smp_store_release(&path->state, SRN_CLT_PATH_CONNECTED);
	queue_delayed_work(srn_clt_wq, &path->hb_work,
			   msecs_to_jiffies(max(READ_ONCE(srn_clt_hb_interval_ms),
						100U)));
	return 0;

fail:
	WRITE_ONCE(path->state, SRN_CLT_PATH_ERROR);
	srn_clt_path_teardown(path);
	WRITE_ONCE(path->state, SRN_CLT_PATH_DISCONNECTED);
	return ret;
}

struct srn_clt_path *srn_clt_any_path(struct srn_clt_sess *sess)
{
	unsigned int i;

	for (i = 0; i < sess->nr_paths; i++) {
		/* Pairs with the release in srn_clt_path_connect(). */
		if (smp_load_acquire(&sess->paths[i]->state) ==
		    SRN_CLT_PATH_CONNECTED)
			return sess->paths[i];
	}
	return NULL;
}

/* sess->lock held: devices follow whether any path is connected. */
void srn_clt_sess_update_state(struct srn_clt_sess *sess)
{
	struct srn_clt_dev *dev;

	lockdep_assert_held(&sess->lock);
	if (srn_clt_any_path(sess) || !sess->connected)
		return;
	WRITE_ONCE(sess->connected, false);
	pr_warn("stor_rnbd_client: session %s: no path left, I/O is held for up to %u ms\n",
		sess->name, READ_ONCE(sess->hold_timeout_ms));
	list_for_each_entry(dev, &sess->devs, list) {
		if (dev->state == SRN_CLT_DEV_OPEN)
			WRITE_ONCE(dev->state, SRN_CLT_DEV_DISCONNECTED);
	}
}

/*
 * Open the session's disconnected devices again on @path.  sess->lock
 * held.  Return: how many are still disconnected.
 */
static unsigned int srn_clt_sess_reopen(struct srn_clt_sess *sess,
					struct srn_clt_path *path, bool quiet)
{
	struct srn_clt_dev *dev;
	struct srn_open_rsp rsp;
	unsigned int failed = 0;
	int ret;

	list_for_each_entry(dev, &sess->devs, list) {
		if (dev->state != SRN_CLT_DEV_DISCONNECTED)
			continue;
		ret = srn_clt_open_remote(path, dev->mapping_path,
					  dev->access_mode, &rsp);
		if (ret) {
			if (!quiet)
				pr_warn("stor_rnbd_client: session %s: cannot reopen %s: %d, retrying\n",
					sess->name, dev->mapping_path, ret);
			failed++;
			continue;
		}
		srn_clt_dev_reopened(dev, &rsp);
	}
	return failed;
}

/*
 * sess->lock held, @path just connected: if it is the session's first
 * path since all were lost, open the devices again (the server may have
 * forgotten them) and let the held I/O go.
 */
static void srn_clt_sess_path_up(struct srn_clt_sess *sess,
				 struct srn_clt_path *path)
{
	if (sess->connected)
		return;
	WRITE_ONCE(sess->connected, true);
	pr_info("stor_rnbd_client: session %s: connected again\n", sess->name);
	if (srn_clt_sess_reopen(sess, path, false))
		queue_delayed_work(srn_clt_wq, &sess->reopen_work,
				   srn_clt_reconnect_delay(sess));
}

static void srn_clt_reopen_work(struct work_struct *work)
{
	struct srn_clt_sess *sess = container_of(to_delayed_work(work),
						 struct srn_clt_sess,
						 reopen_work);
	struct srn_clt_path *path;

	mutex_lock(&sess->lock);
	path = srn_clt_any_path(sess);
	if (!sess->closing && sess->connected && path) {
		if (srn_clt_sess_reopen(sess, path, true))
			queue_delayed_work(srn_clt_wq, &sess->reopen_work,
					   srn_clt_reconnect_delay(sess));
		srn_clt_kick_devs(sess);
	}
	mutex_unlock(&sess->lock);
}

/* Take the queued events off @sess; with sess->ev_lock not held. */
static void srn_clt_splice_events(struct srn_clt_sess *sess,
				  struct list_head *list)
{
	unsigned long flags;

	spin_lock_irqsave(&sess->ev_lock, flags);
	list_splice_init(&sess->events, list);
	spin_unlock_irqrestore(&sess->ev_lock, flags);
}

/* What the server said about its devices: follow. */
static void srn_clt_ev_work(struct work_struct *work)
{
	struct srn_clt_sess *sess = container_of(work, struct srn_clt_sess,
						 ev_work);
	struct srn_clt_events *n, *tmp;
	LIST_HEAD(list);
	u32 i;

	srn_clt_splice_events(sess, &list);
	mutex_lock(&sess->lock);
	list_for_each_entry_safe(n, tmp, &list, list) {
		for (i = 0; i < n->nr; i++)
			srn_clt_dev_event(sess, &n->events[i]);
		list_del(&n->list);
		kfree(n);
	}
	mutex_unlock(&sess->lock);
}

void srn_clt_sess_init(struct srn_clt_sess *sess)
{
	INIT_DELAYED_WORK(&sess->reopen_work, srn_clt_reopen_work);
	spin_lock_init(&sess->ev_lock);
	INIT_LIST_HEAD(&sess->events);
	INIT_WORK(&sess->ev_work, srn_clt_ev_work);
}

/* The session's reconnect_delay_ms, in jiffies. */
unsigned long srn_clt_reconnect_delay(struct srn_clt_sess *sess)
{
	return msecs_to_jiffies(READ_ONCE(sess->reconnect_delay_ms));
}

void srn_clt_path_schedule_reconnect(struct srn_clt_path *path)
{
	queue_delayed_work(srn_clt_wq, &path->reconnect_work,
			   srn_clt_reconnect_delay(path->sess));
}

static void srn_clt_err_work(struct work_struct *work)
{
	struct srn_clt_path *path = container_of(work, struct srn_clt_path,
						 err_work);
	struct srn_clt_sess *sess = path->sess;

	mutex_lock(&sess->lock);
	if (READ_ONCE(path->state) == SRN_CLT_PATH_ERROR) {
		WRITE_ONCE(path->nr_errors, path->nr_errors + 1);
		srn_clt_path_teardown(path);
		WRITE_ONCE(path->state, SRN_CLT_PATH_DISCONNECTED);
		srn_clt_sess_update_state(sess);
		path->reconnect_attempts = 0;
		if (!sess->closing && !path->removed)
			srn_clt_path_schedule_reconnect(path);
	}
	mutex_unlock(&sess->lock);
}

static void srn_clt_reconnect_work(struct work_struct *work)
{
	struct srn_clt_path *path = container_of(to_delayed_work(work),
						 struct srn_clt_path,
						 reconnect_work);
	struct srn_clt_sess *sess = path->sess;
	int max, ret;

	mutex_lock(&sess->lock);
	if (sess->closing || path->removed ||
	    READ_ONCE(path->state) != SRN_CLT_PATH_DISCONNECTED)
		goto out;
	ret = srn_clt_path_connect(path);
	if (!ret) {
		WRITE_ONCE(path->nr_reconnects, path->nr_reconnects + 1);
		path->reconnect_attempts = 0;
		pr_info("stor_rnbd_client: session %s: path %pISpc reconnected\n",
			sess->name, &path->dst);
		srn_clt_sess_path_up(sess, path);
		srn_clt_kick_devs(sess);
		goto out;
	}
	path->reconnect_attempts++;
	if (path->reconnect_attempts == 1 ||
	    path->reconnect_attempts % 30 == 0)
		pr_info("stor_rnbd_client: session %s: reconnecting %pISpc failed (attempt %u): %d\n",
			sess->name, &path->dst, path->reconnect_attempts, ret);
	max = READ_ONCE(sess->max_reconnect_attempts);
	if (max < 0 || path->reconnect_attempts < max)
		srn_clt_path_schedule_reconnect(path);
	else
		pr_warn("stor_rnbd_client: session %s: giving up on %pISpc\n",
			sess->name, &path->dst);
out:
	mutex_unlock(&sess->lock);
}

void srn_clt_path_init(struct srn_clt_path *path)
{
	mutex_init(&path->ctl_mutex);
	spin_lock_init(&path->ctl_lock);
	init_completion(&path->ctl_send_done);
	atomic_set(&path->inflight, 0);
	atomic_set(&path->hb_busy, 0);
	atomic64_set(&path->nr_requests, 0);
	atomic64_set(&path->nr_mr_writes, 0);
	atomic64_set(&path->nr_polled, 0);
	INIT_DELAYED_WORK(&path->hb_work, srn_clt_hb_work);
	INIT_WORK(&path->err_work, srn_clt_err_work);
	INIT_DELAYED_WORK(&path->reconnect_work, srn_clt_reconnect_work);
	uuid_gen(&path->uuid);
	path->state = SRN_CLT_PATH_DISCONNECTED;
}

/*
 * The server answers EAGAIN while it closes an earlier incarnation of the
 * session or path: give it a few seconds.  sess->lock held.
 */
int srn_clt_path_connect_retry(struct srn_clt_path *path)
{
	unsigned int tries;
	int ret;

	for (tries = 0; tries < 50; tries++) {
		ret = srn_clt_path_connect(path);
		if (ret != -EAGAIN)
			break;
		msleep(100);
	}
	return ret;
}

/*
 * add_path: connect @path (not yet visible) and add it to the session.
 * On failure the caller frees @path.
 */
int srn_clt_sess_add_path(struct srn_clt_sess *sess, struct srn_clt_path *path)
{
	unsigned int n;
	int ret;

	mutex_lock(&sess->lock);
	n = sess->nr_paths;
	if (sess->closing) {
		ret = -ENODEV;
		goto out;
	}
	if (n >= SRN_MAX_PATHS) {
		ret = -EINVAL;
		goto out;
	}
	path->idx = n;
	ret = srn_clt_path_connect_retry(path);
	if (ret)
		goto out;
	WRITE_ONCE(sess->paths[n], path);
	/* The I/O path reads nr_paths first: the pointer is there. */
	smp_store_release(&sess->nr_paths, n + 1);
	pr_info("stor_rnbd_client: session %s: path %pISpc added\n",
		sess->name, &path->dst);
	srn_clt_sess_path_up(sess, path);
	srn_clt_kick_devs(sess);
out:
	mutex_unlock(&sess->lock);
	return ret;
}

/*
 * remove_path: disconnect path @idx for good and drop it.  Its requests in
 * flight fail over.  The last path cannot be removed.
 */
int srn_clt_sess_remove_path(struct srn_clt_sess *sess, unsigned int idx)
{
	struct srn_clt_path *path;
	unsigned int i, n;

	mutex_lock(&sess->lock);
	n = sess->nr_paths;
	if (sess->closing || idx >= n || n == 1) {
		mutex_unlock(&sess->lock);
		return sess->closing ? -ENODEV : idx >= n ? -EINVAL : -EBUSY;
	}
	path = sess->paths[idx];
	path->removed = true;
	if (cmpxchg(&path->state, SRN_CLT_PATH_CONNECTED,
		    SRN_CLT_PATH_ERROR) == SRN_CLT_PATH_CONNECTED) {
		srn_clt_path_teardown(path);
		WRITE_ONCE(path->state, SRN_CLT_PATH_DISCONNECTED);
	}
	for (i = idx; i + 1 < n; i++) {
		WRITE_ONCE(sess->paths[i], sess->paths[i + 1]);
		sess->paths[i]->idx = i;
	}
	WRITE_ONCE(sess->paths[n - 1], NULL);
	WRITE_ONCE(sess->nr_paths, n - 1);
	srn_clt_sess_update_state(sess);
	pr_info("stor_rnbd_client: session %s: path %pISpc removed\n",
		sess->name, &path->dst);
	mutex_unlock(&sess->lock);

	cancel_delayed_work_sync(&path->reconnect_work);
	/* An error noticed meanwhile: its teardown runs, no reconnect. */
	flush_work(&path->err_work);
	cancel_delayed_work_sync(&path->hb_work);
	/* queue_rq() may still hold the pointer (it sees it unconnected). */
	synchronize_rcu();
	kfree(path);
	return 0;
}

/*
 * The session is going away (its last device is unmapped): stop
 * reconnecting and tear every path down.  Not with sess->lock held.
 */
void srn_clt_sess_close_paths(struct srn_clt_sess *sess)
{
	struct srn_clt_events *n, *tmp;
	struct srn_clt_path *path;
	LIST_HEAD(list);
	unsigned int i;

	mutex_lock(&sess->lock);
	WRITE_ONCE(sess->closing, true);
	mutex_unlock(&sess->lock);
	cancel_delayed_work_sync(&sess->reopen_work);
	for (i = 0; i < sess->nr_paths; i++) {
		cancel_delayed_work_sync(&sess->paths[i]->reconnect_work);
		flush_work(&sess->paths[i]->err_work);
	}
	mutex_lock(&sess->lock);
	for (i = 0; i < sess->nr_paths; i++) {
		path = sess->paths[i];
		if (cmpxchg(&path->state, SRN_CLT_PATH_CONNECTED,
			    SRN_CLT_PATH_ERROR) == SRN_CLT_PATH_CONNECTED) {
			srn_clt_path_teardown(path);
			WRITE_ONCE(path->state, SRN_CLT_PATH_DISCONNECTED);
		}
	}
	WRITE_ONCE(sess->connected, false);
	mutex_unlock(&sess->lock);
	/* A path that failed meanwhile is torn down by its err_work. */
	for (i = 0; i < sess->nr_paths; i++)
		flush_work(&sess->paths[i]->err_work);
	/* No receive is left to queue events. */
	cancel_work_sync(&sess->ev_work);
	srn_clt_splice_events(sess, &list);
	list_for_each_entry_safe(n, tmp, &list, list)
		kfree(n);
}
