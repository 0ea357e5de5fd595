/* SPDX-License-Identifier: GPL-2.0 */
/*
 * stor_rnbd_client: block devices /dev/srnbd<N> backed by devices of a
 * stor_rnbd_server, over RDMA.
 *
 * Objects:
 *
 *   srn_clt_sess	a session (by name): up to SRN_MAX_PATHS paths to one
 *			server, one blk-mq tag set shared by its devices, the
 *			devices.  Its memory is its sysfs kobject's.
 *   srn_clt_path	one path: a control connection and nr_io_cons I/O
 *			connections, the server's chunk table, and per chunk
 *			an srn_clt_iu (MR, request buffer, request in flight)
 *   srn_clt_dev	one mapped device (gendisk); memory = its kobject's
 *
 * I/O: blk-mq hardware queue i uses I/O connection i+1 of whichever path
 * is picked; the request's chunk is (i * depth_per_queue + driver tag), so
 * blk-mq's tag allocation is the chunk allocator and the chunk numbers of
 * all devices of a session never collide.  Every path has its own server
 * chunks and iu for each chunk number, so a request moved to another path
 * (failover) keeps its number.
 *
 * Locking:
 *   srn_clt_lock	mutex: the session list; held by map and unmap for
 *			their whole duration (they are rare)
 *   sess->lock		mutex: paths connecting and tearing down, device
 *			list, reopening; the reconnect and error works take it
 *   path->state	read locklessly by the I/O path under RCU; a path's
 *			resources are only freed after it left CONNECTED and
 *			an RCU grace period passed
 *   path->ctl_mutex	one control request at a time per path
 */
#ifndef _STOR_RNBD_CLT_H
#define _STOR_RNBD_CLT_H

#include <linux/blk-mq.h>
#include <linux/blkdev.h>
#include <linux/completion.h>
#include <linux/kobject.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/scatterlist.h>
#include <linux/socket.h>
#include <linux/uuid.h>
#include <linux/workqueue.h>
#include <rdma/ib_verbs.h>
#include <rdma/rdma_cm.h>

#include <compat.h>
#include "srn_common.h"

#define SRN_CLT_DISK_PREFIX	"srnbd"
#define SRN_CLT_PART_SHIFT	4	/* 16 minors per disk */

/* Module parameters (srn_clt_main.c). */
extern unsigned int srn_clt_queue_depth;
extern unsigned int srn_clt_max_io_size;
extern unsigned int srn_clt_nr_io_cons;
extern unsigned int srn_clt_hb_interval_ms;
extern unsigned int srn_clt_hb_timeout_ms;
extern unsigned int srn_clt_reconnect_delay_ms;
extern int srn_clt_max_reconnect_attempts;
extern unsigned int srn_clt_io_hold_timeout_ms;
extern bool srn_clt_direct_writes;
extern unsigned int srn_clt_small_read_size;

extern struct workqueue_struct *srn_clt_wq;
extern int srn_clt_major;

enum srn_clt_path_state {
	SRN_CLT_PATH_DISCONNECTED,	/* no resources; maybe reconnecting */
	SRN_CLT_PATH_CONNECTING,	/* being set up under sess->lock */
	SRN_CLT_PATH_CONNECTED,		/* usable for I/O */
	SRN_CLT_PATH_ERROR,		/* failed, teardown queued */
};

enum srn_clt_mp_policy {
	SRN_MP_ROUND_ROBIN,
	SRN_MP_MIN_INFLIGHT,
};

/*
 * A write goes out from its pages' DMA addresses with the PD's local DMA
 * lkey when its pages plus the header fit in this many work requests of
 * path->sge_per_wr entries; otherwise through a registered MR.
 */
#define SRN_CLT_WRITE_WRS	4

/* srn_clt_iu.flags */
#define SRN_CLT_IU_RSP_PENDING	0

/**
 * struct srn_clt_iu - per path, per chunk state of a request in flight
 * @path: owner
 * @chunk: chunk number
 * @mr: fast-registration MR for the request's pages
 * @req: the request header buffer (in path->reqs)
 * @req_dma: its DMA address
 * @rq: the request in flight on this path, or NULL
 * @ref: what must happen before @rq completes: the send completion and
 *	the response (or, with a registered MR, the local invalidation)
 * @flags: SRN_CLT_IU_RSP_PENDING: a response is expected
 * @err: errno of the response
 * @mr_valid: @mr is registered and must be invalidated
 * @send_cqe: completion of the request's RDMA WRITE WITH IMMEDIATE
 * @reg_cqe: completion of the (unsignalled) MR registration, errors only
 * @inv_cqe: completion of the local invalidation
 * @data_cqe: completion of an (unsignalled) data RDMA WRITE, errors only
 * @sge: a write sent without a registration: its pages, then the header
 *	(sess->max_segments + 1 entries, in path->sges)
 * @wrs: the work requests of such a write; the last one carries the
 *	immediate
 * @rb: landing buffer of path->rb_size bytes for small reads (NULL: none):
 *	the server writes the data there and the response copies it into
 *	the request's pages, so a small read needs no registration and no
 *	invalidation of its own
 * @rb_dma: DMA address of @rb
 * @rb_mr: MR over @rb, registered once (with the first read through it)
 * @rb_registered: the registration of @rb_mr has been posted
 * @rb_read: the request in flight reads through @rb
 */
struct srn_clt_iu {
	struct srn_clt_path *path;
	u32 chunk;
	struct ib_mr *mr;
	struct srn_io_req *req;
	u64 req_dma;
	struct request *rq;
	atomic_t ref;
	unsigned long flags;
	u16 err;
	bool mr_valid;
	struct ib_cqe send_cqe;
	struct ib_cqe reg_cqe;
	struct ib_cqe inv_cqe;
	struct ib_cqe data_cqe;
	struct ib_sge *sge;
	struct ib_rdma_wr wrs[SRN_CLT_WRITE_WRS];
	void *rb;
	u64 rb_dma;
	struct ib_mr *rb_mr;
	bool rb_registered;
	bool rb_read;
};

/**
 * struct srn_clt_cmd - blk-mq per-request data
 * @iu: the iu while in flight
 * @path: the path the request is in flight on, or NULL (for the timeout
 *	handler, under RCU: set when sent, cleared before it completes or is
 *	requeued)
 * @hold_since: jiffies | 1 when the request was first held for lack of a
 *	path, 0 if not held
 * @sg_cnt: entries mapped in @sg (0: none)
 * @sg: scatterlist, sess->max_segments entries
 */
struct srn_clt_cmd {
	struct srn_clt_iu *iu;
	struct srn_clt_path *path;
	unsigned long hold_since;
	int sg_cnt;
	struct scatterlist sg[];
};

/* A control receive buffer. */
struct srn_clt_ctl_buf {
	struct srn_clt_con *con;
	void *buf;
	u64 dma;
	struct ib_cqe cqe;
};

/**
 * struct srn_clt_con - one connection
 * @path: owner
 * @con_id: 0 control, 1.. I/O
 * @cm_id: RDMA CM id
 * @qp: QP, NULL until created
 * @cq: CQ of both directions
 * @cm_done: signalled by the CM handler at each connect step
 * @cm_status: result of the last step
 * @established: connected (later CM errors fail the path)
 * @recv_cqe: I/O connections: response receive
 * @bufs: control connection: SRN_CTL_RECV_BUFS receive buffers
 */
struct srn_clt_con {
	struct srn_clt_path *path;
	u16 con_id;
	struct rdma_cm_id *cm_id;
	struct ib_qp *qp;
	struct ib_cq *cq;
	struct completion cm_done;
	int cm_status;
	bool established;
	struct ib_cqe recv_cqe;
	struct srn_clt_ctl_buf *bufs;
};

/* A host-order copy of a server chunk descriptor. */
struct srn_clt_chunk {
	u64 addr;
	u32 rkey;
};

/* The caller of a control request waiting for its response. */
struct srn_clt_ctl_wait {
	u32 tag;
	u16 type;
	void *buf;
	u32 max;
	u32 len;
	int status;
	struct completion done;
};

/**
 * struct srn_clt_path - one path of a session
 * @sess: owner
 * @idx: index in sess->paths
 * @dst: server address (with port)
 * @src: source address if @has_src
 * @has_src: bind to @src
 * @uuid: path uuid, kept across reconnects
 * @state: enum srn_clt_path_state
 * @conn_failed: an error arrived while connecting
 * @ibdev: RDMA device of every connection
 * @pd: protection domain
 * @nr_io_cons: I/O connections
 * @cons: connections, [0] control
 * @token: from SESS_INFO, for the I/O connections
 * @chunks: server chunk table (sess->queue_depth entries used)
 * @ius: sess->queue_depth iu
 * @reqs: request header buffers
 * @reqs_dma: their DMA address
 * @sges: the iu's @sge arrays
 * @sge_per_wr: SGEs per send work request on the I/O connections
 * @inflight: requests in flight (min-inflight policy, statistics)
 * @ctl_mutex: one control request at a time
 * @ctl_lock: protects @ctl_wait
 * @ctl_wait: the control request waiting for a response
 * @ctl_tag: tag of the last control request
 * @ctl_buf: control send buffer
 * @ctl_dma: its DMA address
 * @ctl_send_cqe: its send completion
 * @ctl_send_done: signalled on that completion
 * @hb_buf: heartbeat send buffer
 * @hb_dma: its DMA address
 * @hb_cqe: its send completion
 * @hb_busy: a heartbeat send is outstanding
 * @last_rx: jiffies of the last message from the server on this path
 * @hb_work: sends heartbeats, detects their absence
 * @err_work: tears the path down after an error
 * @reconnect_work: reconnects
 * @reconnect_attempts: failed attempts since the last success
 * @nr_errors: statistics: path failures
 * @nr_reconnects: statistics: successful reconnects
 * @nr_requests: statistics: requests sent on the path
 * @nr_mr_writes: statistics: writes sent through a registered MR (too many
 *	segments for a direct write, or the direct_writes parameter off)
 * @nr_polled: statistics: requests sent from a poll hardware queue
 * @rb_size: reads up to this size go through the iu landing buffers
 *	(small_read_size when the path connected; 0: none)
 * @nr_bounce_reads: statistics: reads through a landing buffer
 * @removed: removed from the session (remove_path): never reconnects
 */
struct srn_clt_path {
	struct srn_clt_sess *sess;
	unsigned int idx;
	struct sockaddr_storage dst;
	struct sockaddr_storage src;
	bool has_src;
	uuid_t uuid;
	int state;
	bool conn_failed;
	struct ib_device *ibdev;
	struct ib_pd *pd;
	u16 nr_io_cons;
	struct srn_clt_con *cons[1 + SRN_MAX_IO_CONS];
	u32 token;
	struct srn_clt_chunk *chunks;
	struct srn_clt_iu *ius;
	struct srn_io_req *reqs;
	u64 reqs_dma;
	struct ib_sge *sges;
	u32 sge_per_wr;
	atomic_t inflight;
	struct mutex ctl_mutex;		/* one control request at a time */
	spinlock_t ctl_lock;		/* protects ctl_wait */
	struct srn_clt_ctl_wait *ctl_wait;
	u32 ctl_tag;
	void *ctl_buf;
	u64 ctl_dma;
	struct ib_cqe ctl_send_cqe;
	struct completion ctl_send_done;
	struct srn_ctl_hdr *hb_buf;
	u64 hb_dma;
	struct ib_cqe hb_cqe;
	atomic_t hb_busy;
	unsigned long last_rx;
	struct delayed_work hb_work;
	struct work_struct err_work;
	struct delayed_work reconnect_work;
	unsigned int reconnect_attempts;
	u64 nr_errors;
	u64 nr_reconnects;
	atomic64_t nr_requests;
	atomic64_t nr_mr_writes;
	atomic64_t nr_polled;
	u32 rb_size;
	atomic64_t nr_bounce_reads;
	bool removed;
};

/**
 * struct srn_clt_sess - a session
 * @list: in the session list
 * @kobj: /sys/class/stor-rnbd-client/ctl/sessions/<name>; its refcount
 *	is the session's (held by the list and by each device)
 * @name: session name
 * @uuid: session uuid
 * @lock: see the top of this file
 * @nr_paths: paths; changed under @lock (add_path, remove_path), read
 *	locklessly by the I/O path under RCU, together with @paths
 * @paths: the paths (a removed path is freed after an RCU grace period)
 * @params_set: the parameters below are fixed (first SESS_INFO)
 * @queue_depth: chunks used per path (nr_io_cons * depth_per_queue)
 * @nr_io_cons: I/O connections per path = hardware queues
 * @nr_poll_queues: the last this many of them are polled (their CQs are
 *	IB_POLL_DIRECT, polled by blk-mq's ->poll for REQ_POLLED I/O); fixed
 *	when the session is created
 * @depth_per_queue: tags per hardware queue
 * @max_io_size: largest READ/WRITE
 * @max_segments: pages of the largest I/O (+1 for an offset)
 * @tag_set: shared by the devices
 * @tag_set_ready: @tag_set is allocated
 * @devs: mapped devices
 * @nr_devs: length of @devs
 * @connected: at least one path connected and the devices reopened
 * @closing: being closed; no reconnect
 * @in_list: in the session list
 * @rr: round-robin cursor
 * @mp_policy: enum srn_clt_mp_policy
 * @hold_timeout_ms: I/O is held this long without a path, then failed
 * @reconnect_delay_ms: time between reconnect (and reopen) attempts
 * @max_reconnect_attempts: failed attempts after which a path gives up,
 *	-1: never
 * @port: server port
 * @reopen_work: retries opening devices the server refused after a
 *	reconnect (for example before they are exported again)
 * @ev_lock: protects @events (taken in the control receive handler)
 * @events: device events received, not applied yet (struct
 *	srn_clt_events)
 * @ev_work: applies them
 */
struct srn_clt_sess {
	struct list_head list;
	struct kobject kobj;
	char name[SRN_SESSNAME_MAX];
	uuid_t uuid;
	struct mutex lock;		/* see the top of this file */
	unsigned int nr_paths;
	struct srn_clt_path *paths[SRN_MAX_PATHS];
	bool params_set;
	u16 queue_depth;
	u16 nr_io_cons;
	u16 nr_poll_queues;
	u16 depth_per_queue;
	u32 max_io_size;
	u32 max_segments;
	struct blk_mq_tag_set tag_set;
	bool tag_set_ready;
	struct list_head devs;
	unsigned int nr_devs;
	bool connected;
	bool closing;
	bool in_list;
	atomic_t rr;
	int mp_policy;
	unsigned int hold_timeout_ms;
	unsigned int reconnect_delay_ms;
	int max_reconnect_attempts;
	u16 port;
	struct delayed_work reopen_work;
	spinlock_t ev_lock;		/* protects events */
	struct list_head events;
	struct work_struct ev_work;
};

/**
 * struct srn_clt_events - the device events of one heartbeat response
 * @list: in sess->events
 * @nr: entries in @events
 * @events: as received
 */
struct srn_clt_events {
	struct list_head list;
	u32 nr;
	struct srn_dev_event events[];
};

enum srn_clt_dev_state {
	SRN_CLT_DEV_OPEN,		/* I/O flows */
	SRN_CLT_DEV_DISCONNECTED,	/* no path; I/O held */
	SRN_CLT_DEV_CLOSING,		/* being unmapped */
	SRN_CLT_DEV_CLOSED,		/* closed by the server; I/O fails */
};

/**
 * struct srn_clt_dev - a mapped device
 * @list: in sess->devs
 * @kobj: /sys/block/srnbdN/stor-rnbd; its refcount is the device's (held
 *	by sysfs and by the gendisk until free_disk)
 * @sess: the session (referenced)
 * @idx: N of srnbdN
 * @disk: the gendisk
 * @dev_id: the server's id of the open device
 * @state: enum srn_clt_dev_state
 * @force: unmap with force: held I/O fails at once
 * @read_only: mapped read-only
 * @access_mode: enum srn_access_mode
 * @open_count: openers
 * @nr_sectors: size reported by the server
 * @mapping_path: device path on the server
 */
struct srn_clt_dev {
	struct list_head list;
	struct kobject kobj;
	struct srn_clt_sess *sess;
	int idx;
	struct gendisk *disk;
	u32 dev_id;
	int state;
	bool force;
	bool read_only;
	u32 access_mode;
	unsigned int open_count;
	u64 nr_sectors;
	char mapping_path[SRN_DEVPATH_MAX];
};

/* srn_clt_conn.c */
unsigned long srn_clt_reconnect_delay(struct srn_clt_sess *sess);
int srn_clt_path_connect(struct srn_clt_path *path);
/* @path (under RCU, may be NULL) takes I/O. */
static inline bool srn_clt_path_connected(struct srn_clt_path *path)
{
	/* Pairs with the release in srn_clt_path_connect(). */
	return path && smp_load_acquire(&path->state) == SRN_CLT_PATH_CONNECTED;
}

/*
 * For a lock-free walk over the paths of @sess, under rcu_read_lock(): the
 * slots below this count hold a path or NULL (a removed one), read with
 * READ_ONCE(sess->paths[i]).
 */
static inline unsigned int srn_clt_nr_paths(struct srn_clt_sess *sess)
{
	/* Pairs with the release in srn_clt_sess_add_path(). */
	return smp_load_acquire(&sess->nr_paths);
}

void srn_clt_path_fail(struct srn_clt_path *path, const char *why);
void srn_clt_dev_event(struct srn_clt_sess *sess,
		       const struct srn_dev_event *ev);
void srn_clt_wc_error(struct srn_clt_path *path, struct ib_wc *wc,
		      const char *what);
void srn_clt_path_init(struct srn_clt_path *path);
void srn_clt_sess_init(struct srn_clt_sess *sess);
int srn_clt_path_connect_retry(struct srn_clt_path *path);
int srn_clt_sess_add_path(struct srn_clt_sess *sess,
			  struct srn_clt_path *path);
int srn_clt_sess_remove_path(struct srn_clt_sess *sess, unsigned int idx);
void srn_clt_path_schedule_reconnect(struct srn_clt_path *path);
void srn_clt_sess_close_paths(struct srn_clt_sess *sess);
void srn_clt_sess_update_state(struct srn_clt_sess *sess);
struct srn_clt_path *srn_clt_any_path(struct srn_clt_sess *sess);
int srn_clt_open_remote(struct srn_clt_path *path, const char *dev_path,
			u32 access_mode, struct srn_open_rsp *rsp);
int srn_clt_close_remote(struct srn_clt_path *path, u32 dev_id);
const char *srn_clt_path_state_name(int state);

/* srn_clt_dev.c */
int srn_clt_tag_set_init(struct srn_clt_sess *sess);
struct srn_clt_dev *srn_clt_dev_create(struct srn_clt_sess *sess,
				       const char *dev_path, u32 access_mode,
				       const struct srn_open_rsp *rsp);
int srn_clt_dev_add(struct srn_clt_dev *dev);
void srn_clt_dev_discard(struct srn_clt_dev *dev);
int srn_clt_dev_unmap(struct srn_clt_dev *dev, bool force);
void srn_clt_dev_reopened(struct srn_clt_dev *dev,
			  const struct srn_open_rsp *rsp);
void srn_clt_iu_put(struct srn_clt_iu *iu);
void srn_clt_iu_reclaim(struct srn_clt_iu *iu);
void srn_clt_kick_devs(struct srn_clt_sess *sess);
const char *srn_clt_dev_state_name(int state);
int srn_clt_dev_init(void);
void srn_clt_dev_exit(void);
void srn_clt_iu_send_done(struct ib_cq *cq, struct ib_wc *wc);
void srn_clt_iu_reg_done(struct ib_cq *cq, struct ib_wc *wc);
void srn_clt_iu_inv_done(struct ib_cq *cq, struct ib_wc *wc);
void srn_clt_iu_data_done(struct ib_cq *cq, struct ib_wc *wc);
void srn_clt_io_recv_done(struct ib_cq *cq, struct ib_wc *wc);

/* srn_clt_main.c */
void srn_clt_sess_put(struct srn_clt_sess *sess);
void srn_clt_sess_maybe_destroy(struct srn_clt_sess *sess);
int srn_clt_lock_for_sysfs(void);
void srn_clt_unlock(void);

#endif /* _STOR_RNBD_CLT_H */
