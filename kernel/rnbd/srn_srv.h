/* SPDX-License-Identifier: GPL-2.0 */
/*
 * stor_rnbd_server: exports block devices to stor_rnbd_client over RDMA.
 *
 * Objects (docs/rnbd.md has the picture):
 *
 *   srn_srv_sess	one per client session (sess_uuid); owns the devices
 *			the client opened (srn_srv_sess_dev, by dev_id)
 *   srn_srv_path	one per client path: a control connection and
 *			nr_io_cons I/O connections, all on one RDMA device
 *			and PD, and queue_depth registered chunks
 *   srn_srv_con	one RDMA CM id + RC QP + CQ
 *
 * Locking: srn_srv_lock (a mutex) protects every list and the state of
 * sessions, paths and exports; the RDMA CM handlers, control messages,
 * sysfs and path teardown all take it, never while destroying a CM id.
 * The I/O path takes no lock: it looks devices up under RCU and holds a
 * reference on them while a bio is in flight, and counts itself in
 * path->inflight, which teardown waits for.
 */
#ifndef _STOR_RNBD_SRV_H
#define _STOR_RNBD_SRV_H

#include <linux/blkdev.h>
#include <linux/completion.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/refcount.h>
#include <linux/scatterlist.h>
#include <linux/uuid.h>
#include <linux/workqueue.h>
#include <linux/xarray.h>
#include <rdma/ib_verbs.h>
#include <rdma/rdma_cm.h>

#include <compat.h>
#include "srn_common.h"

#define SRN_SRV_MAX_DEVS_PER_SESS	1024
/* force_close events kept per session until a heartbeat carries them */
#define SRN_SRV_MAX_CLOSED		16

/* Module parameters (srn_srv_main.c). */
extern unsigned short srn_srv_port;
extern char *srn_srv_dev_search_path;
extern bool srn_srv_allow_any;
extern unsigned int srn_srv_queue_depth;
extern unsigned int srn_srv_max_io_size;
extern unsigned int srn_srv_hb_timeout_ms;
extern unsigned int srn_srv_max_sessions;
extern unsigned int srn_srv_max_paths;
extern unsigned int srn_srv_drop_responses;

extern struct mutex srn_srv_lock;
extern struct list_head srn_srv_sessions;
extern struct list_head srn_srv_paths;
extern struct workqueue_struct *srn_srv_wq;

/**
 * struct srn_srv_sess_dev - a device opened by a session
 * @list: in srn_srv_opens (every open of every session)
 * @sess: the session
 * @dev_id: the session's id for it (xarray index in sess->devs)
 * @devt: the device number, to find other opens of the same device
 * @access_mode: enum srn_access_mode
 * @read_only: writes are refused (mode ro or a read-only device)
 * @bref: the open block device
 * @mapping_path: the path the client asked for
 * @full_path: the path opened (dev_search_path + mapping_path)
 * @announced: the size the client last learnt (srn_open_rsp or a size
 *	event), under srn_srv_lock
 * @ref: 1 while open, plus one per I/O in flight
 * @released: completed when @ref drops to zero
 * @rcu: for freeing after lock-free lookups are done
 */
struct srn_srv_sess_dev {
	struct list_head list;
	struct srn_srv_sess *sess;
	u32 dev_id;
	dev_t devt;
	u32 access_mode;
	bool read_only;
	struct stor_bdev_ref bref;
	char *mapping_path;
	char *full_path;
	u64 announced;
	refcount_t ref;
	struct completion released;
	struct rcu_head rcu;
};

/**
 * struct srn_srv_sess - a client session
 * @list: in srn_srv_sessions
 * @uuid: the client's session uuid
 * @name: the session name
 * @paths: its paths (srn_srv_path.sess_list)
 * @nr_paths: length of @paths
 * @devs: dev_id -> struct srn_srv_sess_dev
 * @next_dev_id: dev_ids are given out cyclically, so a closed device's id
 *	is not reused at once (a late request for it gets ENODEV)
 * @dying: last path gone, devices being closed; a new path with the same
 *	uuid is told to retry (EAGAIN)
 * @closed_ids: devices force_close closed, not told to the client yet
 *	(SRN_DEV_EV_CLOSED with the next heartbeat response)
 * @nr_closed: entries in @closed_ids; when it is full, the oldest goes
 *	(its client learns from the ENODEV of its next I/O instead)
 */
struct srn_srv_sess {
	struct list_head list;
	uuid_t uuid;
	char name[SRN_SESSNAME_MAX];
	struct list_head paths;
	unsigned int nr_paths;
	struct xarray devs;
	u32 next_dev_id;
	bool dying;
	u32 closed_ids[SRN_SRV_MAX_CLOSED];
	unsigned int nr_closed;
};

enum srn_srv_path_state {
	SRN_SRV_PATH_NEW,		/* control connection only */
	SRN_SRV_PATH_INFO,		/* chunks sent, I/O connections come */
	SRN_SRV_PATH_CONNECTED,		/* every connection established */
	SRN_SRV_PATH_CLOSING,		/* being torn down */
};

/*
 * One chunk: pages_per_chunk pages (@pages), DMA-mapped for the path's
 * device (@sgt) and registered as one MR.
 */
struct srn_srv_chunk {
	struct page **pages;
	struct sg_table sgt;
	struct ib_mr *mr;
};

/* srn_srv_io.flags */
#define SRN_SRV_IO_BUSY		0

/**
 * struct srn_srv_io - the request being served in one chunk
 * @path: owner
 * @chunk: index
 * @flags: SRN_SRV_IO_BUSY from the request's arrival until its response
 *	is posted; a request for a busy chunk is a protocol error
 * @con: connection the request came on (the response goes there)
 * @dev: the device, referenced while the bio runs
 * @op: enum srn_io_op
 * @len: bytes
 * @raddr: READ: client buffer
 * @rkey: READ: its key
 */
struct srn_srv_io {
	struct srn_srv_path *path;
	u32 chunk;
	unsigned long flags;
	struct srn_srv_con *con;
	struct srn_srv_sess_dev *dev;
	u8 op;
	u32 len;
	u64 raddr;
	u32 rkey;
};

/**
 * struct srn_srv_ctl_iu - one control receive buffer and its response
 * @con: the control connection
 * @buf: receive buffer, SRN_CTL_MSG_SIZE
 * @buf_dma: its DMA address
 * @rsp: response buffer, SRN_CTL_MSG_SIZE
 * @rsp_dma: its DMA address
 * @len: bytes received
 * @recv_cqe: receive completion
 * @send_cqe: response send completion
 * @work: handles the message in process context
 *
 * An iu cycles: receive posted -> message handled in @work -> response
 * sent -> receive posted again.
 */
struct srn_srv_ctl_iu {
	struct srn_srv_con *con;
	void *buf;
	u64 buf_dma;
	void *rsp;
	u64 rsp_dma;
	u32 len;
	struct ib_cqe recv_cqe;
	struct ib_cqe send_cqe;
	struct work_struct work;
};

/**
 * struct srn_srv_con - one connection of a path
 * @path: owner
 * @cm_id: its RDMA CM id
 * @qp: its QP (NULL until created)
 * @cq: completion queue for both directions
 * @con_id: 0 control, 1..nr_io_cons I/O
 * @established: the CM reported ESTABLISHED
 * @recv_cqe: I/O receive completion (I/O connections)
 * @send_cqe: I/O response send completion (I/O connections)
 * @ius: SRN_CTL_RECV_BUFS control buffers (control connection)
 */
struct srn_srv_con {
	struct srn_srv_path *path;
	struct rdma_cm_id *cm_id;
	struct ib_qp *qp;
	struct ib_cq *cq;
	u16 con_id;
	bool established;
	struct ib_cqe recv_cqe;
	struct ib_cqe send_cqe;
	struct srn_srv_ctl_iu *ius;
};

/* srn_srv_path.flags */
#define SRN_SRV_PATH_CLOSE_QUEUED	0

/**
 * struct srn_srv_path - one path of a client session
 * @list: in srn_srv_paths
 * @sess_list: in sess->paths once attached
 * @sess: the session, set by SESS_INFO
 * @sess_uuid: from the connect request
 * @path_uuid: from the connect request
 * @token: secret the I/O connections present (srn_conn_req.path_token)
 * @state: enum srn_srv_path_state, changed under srn_srv_lock
 * @flags: SRN_SRV_PATH_CLOSE_QUEUED
 * @ibdev: RDMA device of every connection
 * @pd: protection domain of every connection and chunk
 * @nr_io_cons: I/O connections (granted)
 * @queue_depth: chunks (requested, then granted)
 * @max_io_size: bytes (requested, then granted)
 * @chunk_size: bytes per chunk
 * @pages_per_chunk: pages per chunk
 * @cons: connections, [0] control, [1..nr_io_cons] I/O
 * @chunks: @queue_depth chunks
 * @ios: @queue_depth request slots
 * @inflight: 1 + requests between arrival and posted response
 * @drained: completed when @inflight drops to zero
 * @last_rx: jiffies of the last control message (heartbeat check)
 * @peer: client address of the control connection
 * @close_work: tears the path down
 */
struct srn_srv_path {
	struct list_head list;
	struct list_head sess_list;
	struct srn_srv_sess *sess;
	uuid_t sess_uuid;
	uuid_t path_uuid;
	u32 token;
	enum srn_srv_path_state state;
	unsigned long flags;
	struct ib_device *ibdev;
	struct ib_pd *pd;
	u16 nr_io_cons;
	u16 queue_depth;
	u32 max_io_size;
	u32 chunk_size;
	u32 pages_per_chunk;
	struct srn_srv_con *cons[1 + SRN_MAX_IO_CONS];
	struct srn_srv_chunk *chunks;
	struct srn_srv_io *ios;
	atomic_t inflight;
	struct completion drained;
	unsigned long last_rx;
	struct sockaddr_storage peer;
	struct work_struct close_work;
};

/* srn_srv_main.c */
struct srn_srv_sess_dev *srn_srv_dev_get(struct srn_srv_sess *sess,
					 u32 dev_id);
void srn_srv_dev_put(struct srn_srv_sess_dev *dev);
int srn_srv_dev_open(struct srn_srv_sess *sess, const struct srn_open_req *req,
		     struct srn_open_rsp *rsp);
int srn_srv_dev_close_id(struct srn_srv_sess *sess, u32 dev_id);
u32 srn_srv_hb_rsp_fill(struct srn_srv_sess *sess, struct srn_hb_rsp *rsp);
void srn_srv_sess_close_devs(struct srn_srv_sess *sess);

/* srn_srv_conn.c */
int srn_srv_listen(void);
void srn_srv_stop_listen(void);
void srn_srv_path_close(struct srn_srv_path *path);
void srn_srv_close_all(void);
int srn_srv_hb_start(void);
void srn_srv_hb_stop(void);
const char *srn_srv_path_state_name(enum srn_srv_path_state state);

/* srn_srv_io.c */
int srn_srv_post_io_recv(struct srn_srv_con *con);
void srn_srv_io_recv_done(struct ib_cq *cq, struct ib_wc *wc);
void srn_srv_io_send_done(struct ib_cq *cq, struct ib_wc *wc);

#endif /* _STOR_RNBD_SRV_H */
