/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by stor_rnbd_server and stor_rnbd_client: message
 * layout checks and immediate-data packing.  Header-only, so that each
 * module carries its own copy and neither depends on the other.
 *
 * The wire protocol itself is in include/storctl/rnbd.h and
 * docs/rnbd-protocol.md.
 */
#ifndef _STOR_RNBD_COMMON_H
#define _STOR_RNBD_COMMON_H

#include <linux/build_bug.h>
#include <linux/ctype.h>
#include <linux/errno.h>
#include <linux/kernel.h>
#include <linux/string.h>
#include <linux/types.h>

#include <storctl/rnbd.h>

/* The wire structures have fixed sizes; catch accidental changes. */
static inline void srn_check_layout(void)
{
	BUILD_BUG_ON(sizeof(struct srn_conn_req) != 56);
	BUILD_BUG_ON(sizeof(struct srn_conn_rsp) != 8);
	BUILD_BUG_ON(sizeof(struct srn_ctl_hdr) != 16);
	BUILD_BUG_ON(sizeof(struct srn_sess_info_req) != 96);
	BUILD_BUG_ON(sizeof(struct srn_chunk_desc) != 12);
	BUILD_BUG_ON(sizeof(struct srn_sess_info_rsp) != 48);
	BUILD_BUG_ON(sizeof(struct srn_open_req) != 288);
	BUILD_BUG_ON(sizeof(struct srn_open_rsp) != 72);
	BUILD_BUG_ON(sizeof(struct srn_close_req) != 24);
	BUILD_BUG_ON(sizeof(struct srn_dev_event) != 16);
	BUILD_BUG_ON(sizeof(struct srn_hb_rsp) != 24);
	BUILD_BUG_ON(sizeof(struct srn_io_req) != 40);
	BUILD_BUG_ON(sizeof(struct srn_sess_info_rsp) +
		     SRN_MAX_QUEUE_DEPTH * sizeof(struct srn_chunk_desc) >
		     SRN_CTL_MSG_SIZE);
	/* A request at a SRN_IO_ALIGN offset never straddles a page. */
	BUILD_BUG_ON(sizeof(struct srn_io_req) > SRN_IO_ALIGN);
}

static inline u32 srn_imm_pack(u32 chunk, u32 hi)
{
	return (chunk & SRN_IMM_CHUNK_MASK) | (hi << SRN_IMM_HI_SHIFT);
}

static inline u32 srn_imm_chunk(u32 imm)
{
	return imm & SRN_IMM_CHUNK_MASK;
}

static inline u32 srn_imm_hi(u32 imm)
{
	return imm >> SRN_IMM_HI_SHIFT;
}

static inline void srn_ctl_hdr_init(struct srn_ctl_hdr *hdr, u16 type,
				    u32 len, u32 tag, u32 status)
{
	hdr->magic = cpu_to_le16(SRN_MAGIC);
	hdr->type = cpu_to_le16(type);
	hdr->len = cpu_to_le32(len);
	hdr->tag = cpu_to_le32(tag);
	hdr->status = cpu_to_le32(status);
}

/**
 * srn_ctl_hdr_check - check a received control message's header
 * @hdr: start of the message
 * @received: bytes the transport delivered
 *
 * Return: the message type, or -EPROTO if the header is not sound: bad
 * magic, a length shorter than the header, longer than what arrived or
 * than SRN_CTL_MSG_SIZE.  The caller checks the type-specific minimum
 * length with srn_ctl_len_ok().
 */
static inline int srn_ctl_hdr_check(const struct srn_ctl_hdr *hdr,
				    u32 received)
{
	u32 len;

	if (received < sizeof(*hdr) || received > SRN_CTL_MSG_SIZE)
		return -EPROTO;
	if (le16_to_cpu(hdr->magic) != SRN_MAGIC)
		return -EPROTO;
	len = le32_to_cpu(hdr->len);
	if (len < sizeof(*hdr) || len > received)
		return -EPROTO;
	return le16_to_cpu(hdr->type);
}

static inline bool srn_ctl_len_ok(const struct srn_ctl_hdr *hdr, size_t min)
{
	return le32_to_cpu(hdr->len) >= min;
}

/* Every byte of a reserved area must be zero. */
static inline bool srn_zeroed(const void *p, size_t len)
{
	return !memchr_inv(p, 0, len);
}

/**
 * srn_sessname_valid - a session name: 1..SRN_SESSNAME_MAX-1 characters
 * of [A-Za-z0-9._-], starting with a letter or digit (so never "." or
 * "..", since it may become a path component on the server)
 * @name: the name
 * @len: bytes available at @name; the name must be NUL-terminated within
 */
static inline bool srn_sessname_valid(const char *name, size_t len)
{
	size_t n = strnlen(name, len), i;

	if (n == 0 || n >= len || n >= SRN_SESSNAME_MAX)
		return false;
	if (!isalnum(name[0]))
		return false;
	for (i = 0; i < n; i++) {
		if (!isalnum(name[i]) && name[i] != '.' && name[i] != '_' &&
		    name[i] != '-')
			return false;
	}
	return true;
}

static inline const char *srn_access_name(u32 mode)
{
	switch (mode) {
	case SRN_ACCESS_RO:
		return "ro";
	case SRN_ACCESS_RW:
		return "rw";
	case SRN_ACCESS_MIGRATION:
		return "migration";
	default:
		return "invalid";
	}
}

static inline int srn_access_parse(const char *s)
{
	if (!strcmp(s, "ro"))
		return SRN_ACCESS_RO;
	if (!strcmp(s, "rw"))
		return SRN_ACCESS_RW;
	if (!strcmp(s, "migration"))
		return SRN_ACCESS_MIGRATION;
	return -EINVAL;
}

/* A positive errno that fits the 16 bits of an immediate. */
static inline u32 srn_errno_wire(int err)
{
	if (err >= 0)
		return 0;
	if (-err > 0xffff)
		err = -EIO;
	return -err;
}

#endif /* _STOR_RNBD_COMMON_H */
