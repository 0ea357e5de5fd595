/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note OR MIT */
/*
 * storctl remote block device (stor_rnbd_server, stor_rnbd_client): the
 * wire protocol between the two modules over RDMA, version 1.
 *
 * docs/rnbd-protocol.md describes every message and field, the order of
 * the exchanges and what the receiver checks; docs/rnbd.md the sysfs
 * interface.  Summary:
 *
 *   - A session is a set of paths; a path is one control connection
 *     (con_id 0) plus nr_io_cons I/O connections, all reliable connected
 *     QPs set up with the RDMA CM (port space TCP, default port
 *     SRN_DEFAULT_PORT).  Each connect request carries struct srn_conn_req
 *     as private data; the server answers with struct srn_conn_rsp (accept
 *     or reject).
 *   - The control connection carries SEND/RECV messages of at most
 *     SRN_CTL_MSG_SIZE bytes, each starting with struct srn_ctl_hdr:
 *     session info, open, close, heartbeat.
 *   - An I/O is two messages.  The client RDMA-WRITEs-WITH-IMMEDIATE the
 *     data (writes only) followed by a struct srn_io_req into one of the
 *     path's server chunks; the immediate says which chunk and where the
 *     request starts.  The server answers with a SEND-WITH-IMMEDIATE
 *     without payload whose immediate carries the chunk and the errno;
 *     for a read the data precedes it as an RDMA WRITE from the chunk into
 *     the client's buffer (described by the request).
 *
 * Every multi-byte field is little endian.  Every field is naturally
 * aligned and no structure has padding, so the layout is the same for
 * every compiler and ABI without a packing attribute; the sizes are
 * checked at build time (srn_check_layout() in kernel/rnbd/srn_common.h).
 * The immediate data is the 32-bit value the verbs carry in network byte
 * order; SRN_IMM_* below describe it after conversion to host order.
 *
 * Versioning: srn_conn_req.version is the client's protocol version.  A
 * server speaking a different version rejects the connection with
 * EPROTONOSUPPORT and its own version in srn_conn_rsp.version.  Reserved
 * fields must be zero and are checked; a later version can give them a
 * meaning.
 */
#ifndef _UAPI_STORCTL_RNBD_H
#define _UAPI_STORCTL_RNBD_H

#include <linux/types.h>

#define SRN_PROTO_VERSION	1
#define SRN_MAGIC		0x5352		/* "SR" */
#define SRN_DEFAULT_PORT	1235		/* RDMA CM port (RDMA_PS_TCP) */

/* Limits of version 1. */
#define SRN_SESSNAME_MAX	64	/* session name with its NUL */
#define SRN_DEVPATH_MAX		256	/* device path with its NUL */
#define SRN_MAX_PATHS		6	/* paths of one session */
#define SRN_MAX_IO_CONS		16	/* I/O connections of one path */
#define SRN_MAX_QUEUE_DEPTH	256	/* chunks of one path */
#define SRN_MIN_IO_SIZE		4096
#define SRN_MAX_IO_SIZE		(1024 * 1024)
#define SRN_CTL_MSG_SIZE	4096	/* largest control message */
#define SRN_CTL_RECV_BUFS	8	/* control receives each side posts */
#define SRN_IO_ALIGN		512	/* unit of sectors and offsets */

/* ------------------------------------------------------------ connect */

/**
 * struct srn_conn_req - private data of every RDMA CM connect request
 * @magic: SRN_MAGIC
 * @version: SRN_PROTO_VERSION of the client
 * @con_id: 0 for the control connection, 1..nr_io_cons for I/O
 * @nr_io_cons: I/O connections of this path (1..SRN_MAX_IO_CONS)
 * @queue_depth: chunks the client asks for (control connection only;
 *	1..SRN_MAX_QUEUE_DEPTH), else 0
 * @flags: none defined, must be 0
 * @max_io_size: largest I/O the client asks for, bytes (control
 *	connection only), else 0
 * @path_token: I/O connections: srn_sess_info_rsp.path_token of the
 *	path's control connection; 0 on the control connection
 * @sess_uuid: identifies the client's session, the same on every path
 *	and across reconnects
 * @path_uuid: identifies the path within the session, kept across
 *	reconnects of that path
 * @reserved: zero
 *
 * 56 bytes, the most RDMA CM carries in a connect request on InfiniBand
 * and RoCE.
 */
struct srn_conn_req {
	__le16	magic;
	__le16	version;
	__le16	con_id;
	__le16	nr_io_cons;
	__le16	queue_depth;
	__le16	flags;
	__le32	max_io_size;
	__le32	path_token;
	__u8	sess_uuid[16];
	__u8	path_uuid[16];
	__u8	reserved[4];
};

/**
 * struct srn_conn_rsp - private data of the server's accept or reject
 * @magic: SRN_MAGIC
 * @version: SRN_PROTO_VERSION of the server
 * @status: 0 (accept) or a positive errno (reject)
 * @reserved: zero
 */
struct srn_conn_rsp {
	__le16	magic;
	__le16	version;
	__le16	status;
	__le16	reserved;
};

/* ------------------------------------------------------------ control */

enum srn_ctl_type {
	SRN_CTL_SESS_INFO_REQ	= 1,
	SRN_CTL_SESS_INFO_RSP	= 2,
	SRN_CTL_OPEN_REQ	= 3,
	SRN_CTL_OPEN_RSP	= 4,
	SRN_CTL_CLOSE_REQ	= 5,
	SRN_CTL_CLOSE_RSP	= 6,
	SRN_CTL_HB_REQ		= 7,
	SRN_CTL_HB_RSP		= 8,
};

/**
 * struct srn_ctl_hdr - start of every control message
 * @magic: SRN_MAGIC
 * @type: enum srn_ctl_type
 * @len: bytes of the whole message, this header included; at most
 *	SRN_CTL_MSG_SIZE and at least the size of the type's structure
 * @tag: chosen by the requester, echoed in the response
 * @status: responses: 0 or a positive errno; requests: 0
 */
struct srn_ctl_hdr {
	__le16	magic;
	__le16	type;
	__le32	len;
	__le32	tag;
	__le32	status;
};

/**
 * struct srn_sess_info_req - first message on a new control connection
 * @hdr: type SRN_CTL_SESS_INFO_REQ
 * @sessname: session name, NUL-terminated, NUL-padded; characters
 *	[A-Za-z0-9._-] only
 * @reserved: zero
 */
struct srn_sess_info_req {
	struct srn_ctl_hdr hdr;
	char	sessname[SRN_SESSNAME_MAX];
	__le64	reserved[2];
};

/**
 * struct srn_chunk_desc - where one server chunk is
 * @addr_lo: low 32 bits of the address to use in RDMA operations with @rkey
 * @addr_hi: high 32 bits of that address
 * @rkey: remote key of the chunk, allows remote write only
 */
struct srn_chunk_desc {
	__le32	addr_lo;
	__le32	addr_hi;
	__le32	rkey;
};

/**
 * struct srn_sess_info_rsp - the path's chunks
 * @hdr: type SRN_CTL_SESS_INFO_RSP; status EAGAIN: a session with this
 *	uuid is still being torn down, try again later
 * @path_token: to put in srn_conn_req.path_token of the I/O connections
 * @queue_depth: number of chunks granted (1..requested)
 * @nr_io_cons: I/O connections the client may open (1..requested)
 * @max_io_size: largest READ/WRITE, bytes (<= requested)
 * @chunk_size: bytes of each chunk: max_io_size plus room for a request
 * @hb_timeout_ms: the server closes the path after this long without a
 *	control message from the client
 * @reserved: zero
 * @chunks: @queue_depth descriptors
 */
struct srn_sess_info_rsp {
	struct srn_ctl_hdr hdr;
	__le32	path_token;
	__le16	queue_depth;
	__le16	nr_io_cons;
	__le32	max_io_size;
	__le32	chunk_size;
	__le32	hb_timeout_ms;
	__le32	reserved[3];
	struct srn_chunk_desc chunks[];
};

/* Access modes of SRN_CTL_OPEN_REQ. */
enum srn_access_mode {
	SRN_ACCESS_RO		= 0,	/* any number of readers */
	SRN_ACCESS_RW		= 1,	/* one writer per device */
	SRN_ACCESS_MIGRATION	= 2,	/* a second writer, for migration */
};

/**
 * struct srn_open_req - open a device on the server for this session
 * @hdr: type SRN_CTL_OPEN_REQ
 * @access_mode: enum srn_access_mode
 * @reserved0: zero
 * @dev_path: device path, NUL-terminated, relative to the server's
 *	dev_search_path; no ".." component
 * @reserved: zero
 */
struct srn_open_req {
	struct srn_ctl_hdr hdr;
	__le16	access_mode;
	__le16	reserved0;
	char	dev_path[SRN_DEVPATH_MAX];
	__le32	reserved[3];
};

/* srn_open_rsp.flags */
#define SRN_DEV_READ_ONLY	0x1U	/* no writes (device or access mode) */
#define SRN_DEV_WRITE_CACHE	0x2U	/* volatile cache: FLUSH matters */
#define SRN_DEV_FUA		0x4U	/* device supports FUA natively */
#define SRN_DEV_ROTATIONAL	0x8U	/* rotational media */

/**
 * struct srn_open_rsp - an open device
 * @hdr: type SRN_CTL_OPEN_RSP; status: 0, ENOENT (no such device),
 *	EACCES (not exported to this session), EINVAL (bad path or
 *	mode), EBUSY (access mode conflicts with other sessions' opens),
 *	EROFS (rw on a read-only export or device), EMFILE (too many
 *	open devices in the session), or the errno of the open
 * @dev_id: the device in srn_io_req.dev_id and CLOSE
 * @flags: SRN_DEV_*
 * @nr_sectors: size in 512-byte sectors
 * @logical_block_size: bytes
 * @physical_block_size: bytes
 * @max_hw_sectors: largest READ/WRITE the device takes, in sectors
 *	(the client also limits I/O to srn_sess_info_rsp.max_io_size)
 * @max_discard_sectors: 0 if DISCARD is not supported
 * @discard_granularity: bytes
 * @max_write_zeroes_sectors: 0 if WRITE_ZEROES is not supported
 * @reserved: zero
 */
struct srn_open_rsp {
	struct srn_ctl_hdr hdr;
	__le32	dev_id;
	__le32	flags;
	__le64	nr_sectors;
	__le32	logical_block_size;
	__le32	physical_block_size;
	__le32	max_hw_sectors;
	__le32	max_discard_sectors;
	__le32	discard_granularity;
	__le32	max_write_zeroes_sectors;
	__le32	reserved[4];
};

/**
 * struct srn_close_req - close a device opened by this session
 * @hdr: type SRN_CTL_CLOSE_REQ
 * @dev_id: from srn_open_rsp
 * @reserved: zero
 *
 * The response is a bare struct srn_ctl_hdr of type SRN_CTL_CLOSE_RSP,
 * status 0 or ENOENT (no such device).  I/O of the session to the device
 * in flight when the request arrives completes before the response.
 */
struct srn_close_req {
	struct srn_ctl_hdr hdr;
	__le32	dev_id;
	__le32	reserved;
};

/*
 * SRN_CTL_HB_REQ is a bare struct srn_ctl_hdr: the client sends one on
 * every path's control connection every hb_interval_ms; the server answers
 * at once with an SRN_CTL_HB_RSP.
 */

/* srn_dev_event.type */
enum srn_dev_event_type {
	SRN_DEV_EV_SIZE		= 1,	/* the device's size changed */
	SRN_DEV_EV_CLOSED	= 2,	/* the server closed it (force_close) */
};

/**
 * struct srn_dev_event - a device event, in an HB_RSP
 * @dev_id: from srn_open_rsp
 * @type: enum srn_dev_event_type; a client ignores types it does not know
 * @reserved: zero
 * @value: SRN_DEV_EV_SIZE: the size now, in 512-byte sectors;
 *	SRN_DEV_EV_CLOSED: 0
 */
struct srn_dev_event {
	__le32	dev_id;
	__le16	type;
	__le16	reserved;
	__le64	value;
};

/**
 * struct srn_hb_rsp - heartbeat response
 * @hdr: type SRN_CTL_HB_RSP; len 16 (no events: a bare header, as every
 *	heartbeat response was before device events) or
 *	24 + 16 * @nr_events
 * @nr_events: 1..SRN_HB_MAX_EVENTS
 * @reserved: zero
 * @events: what happened to the session's devices since the client last
 *	heard: devices the server closed, then devices whose size is not the
 *	one the client last learnt (srn_open_rsp or an earlier event); each
 *	sent once, on whichever path heartbeats first
 *
 * A client that ignores everything after the header (an older one) loses
 * only the events.
 */
struct srn_hb_rsp {
	struct srn_ctl_hdr hdr;
	__le32	nr_events;
	__le32	reserved;
	struct srn_dev_event events[];
};

#define SRN_HB_MAX_EVENTS \
	((SRN_CTL_MSG_SIZE - sizeof(struct srn_hb_rsp)) / \
	 sizeof(struct srn_dev_event))

/* ------------------------------------------------------------ I/O */

enum srn_io_op {
	SRN_OP_READ		= 0,
	SRN_OP_WRITE		= 1,
	SRN_OP_FLUSH		= 2,
	SRN_OP_DISCARD		= 3,
	SRN_OP_WRITE_ZEROES	= 4,
};

/* srn_io_req.flags */
#define SRN_IO_FUA		0x1U	/* WRITE: durable on completion */
#define SRN_IO_PREFLUSH		0x2U	/* WRITE: flush the cache first */
#define SRN_IO_NOUNMAP		0x4U	/* WRITE_ZEROES: keep the blocks */
#define SRN_IO_SYNC		0x8U	/* hint: someone waits for it */
#define SRN_IO_FLAGS_ALL	(SRN_IO_FUA | SRN_IO_PREFLUSH | \
				 SRN_IO_NOUNMAP | SRN_IO_SYNC)

/**
 * struct srn_io_req - an I/O request, written into a server chunk
 * @magic: SRN_MAGIC
 * @op: enum srn_io_op
 * @reserved0: zero
 * @flags: SRN_IO_*
 * @dev_id: from srn_open_rsp
 * @len: bytes: the data (READ, WRITE), the range (DISCARD,
 *	WRITE_ZEROES), 0 (FLUSH); a multiple of the device's logical
 *	block size; READ/WRITE at most srn_sess_info_rsp.max_io_size
 * @sector: first 512-byte sector, aligned to the logical block size
 * @raddr: READ: address of the client buffer for the data; else 0
 * @rkey: READ: remote key of that buffer; else 0
 * @reserved1: zero
 *
 * A WRITE's data starts at offset 0 of the chunk and the request follows
 * it directly (at offset @len); every other request is at offset 0.
 */
struct srn_io_req {
	__le16	magic;
	__u8	op;
	__u8	reserved0;
	__le32	flags;
	__le32	dev_id;
	__le32	len;
	__le64	sector;
	__le64	raddr;
	__le32	rkey;
	__le32	reserved1;
};

/*
 * Client -> server immediate (RDMA WRITE WITH IMMEDIATE into a chunk):
 * bits 0-15 chunk index, bits 16-31 offset of the struct srn_io_req in
 * the chunk in SRN_IO_ALIGN units.
 *
 * Server -> client immediate (SEND WITH IMMEDIATE, no payload): bits 0-15
 * chunk index of the request answered, bits 16-31 its result, 0 or a
 * positive errno (EIO, ENOSPC, EOPNOTSUPP, EROFS, EINVAL, ...).
 */
#define SRN_IMM_CHUNK_MASK	0xffffU
#define SRN_IMM_HI_SHIFT	16

#endif /* _UAPI_STORCTL_RNBD_H */
