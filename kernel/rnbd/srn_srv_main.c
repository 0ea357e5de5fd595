// SPDX-License-Identifier: GPL-2.0
/*
 * stor_rnbd_server: module parameters, the export list, opening and
 * closing devices for sessions, and the sysfs interface
 * /sys/class/stor-rnbd-server/ctl/ (docs/rnbd.md).
 *
 * Unlike upstream RNBD, a client can open only devices that are exported
 * (to its session or to every session) unless allow_any is set: the path
 * the client names is resolved under dev_search_path and its device
 * number compared with those of the exported paths.  A client cannot
 * climb out of dev_search_path: a path with a ".." component is refused.
 */
#include <linux/blkdev.h>
#include <linux/device.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/sysfs.h>

#include "srn_srv.h"

unsigned short srn_srv_port = SRN_DEFAULT_PORT;
module_param_named(port_nr, srn_srv_port, ushort, 0444);
MODULE_PARM_DESC(port_nr, "RDMA CM port to listen on (default 1235)");

char *srn_srv_dev_search_path = "/";
module_param_named(dev_search_path, srn_srv_dev_search_path, charp, 0444);
MODULE_PARM_DESC(dev_search_path,
		 "Directory the clients' device paths are relative to; %SESSNAME% is replaced by the session name (default /)");

bool srn_srv_allow_any;
module_param_named(allow_any, srn_srv_allow_any, bool, 0444);
MODULE_PARM_DESC(allow_any,
		 "Serve any device under dev_search_path, not only exported ones (default N)");

unsigned int srn_srv_queue_depth = 128;
module_param_named(queue_depth, srn_srv_queue_depth, uint, 0444);
MODULE_PARM_DESC(queue_depth, "Most chunks (I/Os in flight) per path, 1..256 (default 128)");

unsigned int srn_srv_max_io_size = 128 * 1024;
module_param_named(max_io_size, srn_srv_max_io_size, uint, 0444);
MODULE_PARM_DESC(max_io_size,
		 "Largest I/O in bytes, a multiple of 4096 in 4096..1048576 (default 131072)");

unsigned int srn_srv_hb_timeout_ms = 30000;
module_param_named(hb_timeout_ms, srn_srv_hb_timeout_ms, uint, 0444);
MODULE_PARM_DESC(hb_timeout_ms,
		 "Close a path after this long without a message from the client, 0: never (default 30000)");

unsigned int srn_srv_max_sessions = 64;
module_param_named(max_sessions, srn_srv_max_sessions, uint, 0644);
MODULE_PARM_DESC(max_sessions,
		 "Most client sessions at once; a new one beyond is refused with EUSERS, 0: no limit (default 64)");

unsigned int srn_srv_max_paths = 128;
module_param_named(max_paths, srn_srv_max_paths, uint, 0644);
MODULE_PARM_DESC(max_paths,
		 "Most paths of all sessions at once (each holds queue_depth chunks of max_io_size); a new one beyond is refused with EUSERS, 0: no limit (default 128)");

unsigned int srn_srv_drop_responses;
module_param_named(drop_responses, srn_srv_drop_responses, uint, 0644);
MODULE_PARM_DESC(drop_responses,
		 "Fault injection for tests: do the next N I/O requests but send no response (default 0)");

/* Sessions, paths, exports and opens: see srn_srv.h. */
DEFINE_MUTEX(srn_srv_lock);
LIST_HEAD(srn_srv_sessions);
LIST_HEAD(srn_srv_paths);
struct workqueue_struct *srn_srv_wq;

/* Every open of every session, to check access modes across sessions. */
static LIST_HEAD(srn_srv_opens);

/**
 * struct srn_srv_export - a device clients may open
 * @list: in srn_srv_exports
 * @path: absolute path as the administrator gave it
 * @sessname: the only session allowed, or "" for any
 * @read_only: only access mode ro
 */
struct srn_srv_export {
	struct list_head list;
	char *path;
	char sessname[SRN_SESSNAME_MAX];
	bool read_only;
};

static LIST_HEAD(srn_srv_exports);

static struct device *srn_srv_ctl_dev;

/* ------------------------------------------------------------ devices */

struct srn_srv_sess_dev *srn_srv_dev_get(struct srn_srv_sess *sess, u32 dev_id)
{
	struct srn_srv_sess_dev *dev;

	rcu_read_lock();
	dev = xa_load(&sess->devs, dev_id);
	if (dev && !refcount_inc_not_zero(&dev->ref))
		dev = NULL;
	rcu_read_unlock();
	return dev;
}

void srn_srv_dev_put(struct srn_srv_sess_dev *dev)
{
	if (refcount_dec_and_test(&dev->ref))
		complete(&dev->released);
}

/* Close a device already unlinked from its session and srn_srv_opens. */
static void srn_srv_dev_release(struct srn_srv_sess_dev *dev)
{
	srn_srv_dev_put(dev);
	/* I/O holding a reference finishes first. */
	wait_for_completion(&dev->released);
	/* dev->sess may be gone (force_close races with its last path). */
	pr_info("stor_rnbd_server: closed %s (device %u)\n", dev->full_path,
		dev->dev_id);
	stor_bdev_close(&dev->bref);
	kfree(dev->mapping_path);
	kfree(dev->full_path);
	kfree_rcu(dev, rcu);
}

int srn_srv_dev_close_id(struct srn_srv_sess *sess, u32 dev_id)
{
	struct srn_srv_sess_dev *dev;

	mutex_lock(&srn_srv_lock);
	dev = xa_erase(&sess->devs, dev_id);
	if (dev)
		list_del(&dev->list);
	mutex_unlock(&srn_srv_lock);
	if (!dev)
		return -ENOENT;
	srn_srv_dev_release(dev);
	return 0;
}

void srn_srv_sess_close_devs(struct srn_srv_sess *sess)
{
	struct srn_srv_sess_dev *dev, *tmp;
	unsigned long idx;
	LIST_HEAD(gone);

	mutex_lock(&srn_srv_lock);
	xa_for_each(&sess->devs, idx, dev) {
		xa_erase(&sess->devs, idx);
		list_move(&dev->list, &gone);
	}
	mutex_unlock(&srn_srv_lock);
	list_for_each_entry_safe(dev, tmp, &gone, list) {
		list_del(&dev->list);
		srn_srv_dev_release(dev);
	}
}

/* True if a '/'-separated component of @path is "..". */
static bool srn_path_has_dotdot(const char *path)
{
	const char *p = path;

	while (*p) {
		const char *end = strchrnul(p, '/');

		if (end - p == 2 && p[0] == '.' && p[1] == '.')
			return true;
		p = *end ? end + 1 : end;
	}
	return false;
}

/* dev_search_path with %SESSNAME% replaced, then "/" and @dev_path. */
static char *srn_srv_full_path(const char *sessname, const char *dev_path)
{
	static const char tag[] = "%SESSNAME%";
	char *base, *pos, *full;
	size_t len;

	base = kstrdup(srn_srv_dev_search_path, GFP_KERNEL);
	/* Session names cannot contain '%': this terminates. */
	while (base && (pos = strstr(base, tag))) {
		char *next;

		*pos = '\0';
		next = kasprintf(GFP_KERNEL, "%s%s%s", base, sessname,
				 pos + sizeof(tag) - 1);
		kfree(base);
		base = next;
	}
	if (!base)
		return NULL;
	len = strlen(base);
	while (len && base[len - 1] == '/')
		base[--len] = '\0';
	while (*dev_path == '/')
		dev_path++;
	full = kasprintf(GFP_KERNEL, "%s/%s", base, dev_path);
	kfree(base);
	return full;
}

/* The export that lets @sess open @devt, or NULL. */
static struct srn_srv_export *srn_srv_export_find(struct srn_srv_sess *sess,
						  dev_t devt)
{
	struct srn_srv_export *exp;
	dev_t edev;

	lockdep_assert_held(&srn_srv_lock);
	list_for_each_entry(exp, &srn_srv_exports, list) {
		if (exp->sessname[0] && strcmp(exp->sessname, sess->name))
			continue;
		if (lookup_bdev(exp->path, &edev) == 0 && edev == devt)
			return exp;
	}
	return NULL;
}

static void srn_srv_fill_open_rsp(struct srn_srv_sess_dev *dev,
				  struct srn_open_rsp *rsp)
{
	struct block_device *bdev = dev->bref.bdev;
	u32 flags = 0;

	if (dev->read_only)
		flags |= SRN_DEV_READ_ONLY;
	if (bdev_write_cache(bdev))
		flags |= SRN_DEV_WRITE_CACHE;
	if (bdev_fua(bdev))
		flags |= SRN_DEV_FUA;
	if (!bdev_nonrot(bdev))
		flags |= SRN_DEV_ROTATIONAL;
	rsp->dev_id = cpu_to_le32(dev->dev_id);
	rsp->flags = cpu_to_le32(flags);
	dev->announced = bdev_nr_sectors(bdev);
	rsp->nr_sectors = cpu_to_le64(dev->announced);
	rsp->logical_block_size = cpu_to_le32(bdev_logical_block_size(bdev));
	rsp->physical_block_size = cpu_to_le32(bdev_physical_block_size(bdev));
	rsp->max_hw_sectors =
		cpu_to_le32(queue_max_hw_sectors(bdev_get_queue(bdev)));
	rsp->max_discard_sectors = cpu_to_le32(bdev_max_discard_sectors(bdev));
	rsp->discard_granularity = cpu_to_le32(bdev_discard_granularity(bdev));
	rsp->max_write_zeroes_sectors =
		cpu_to_le32(bdev_write_zeroes_sectors(bdev));
}

/* Open a device for @sess.  Called from the control work. */
int srn_srv_dev_open(struct srn_srv_sess *sess, const struct srn_open_req *req,
		     struct srn_open_rsp *rsp)
{
	u32 mode = le16_to_cpu(req->access_mode);
	struct srn_srv_sess_dev *dev, *other;
	struct srn_srv_export *exp = NULL;
	unsigned int writers = 0;
	char *full = NULL;
	unsigned long idx;
	dev_t devt;
	u32 id;
	int ret;

	if (mode > SRN_ACCESS_MIGRATION || req->reserved0 ||
	    !srn_zeroed(req->reserved, sizeof(req->reserved)))
		return -EINVAL;
	if (!strnlen(req->dev_path, SRN_DEVPATH_MAX) ||
	    strnlen(req->dev_path, SRN_DEVPATH_MAX) == SRN_DEVPATH_MAX)
		return -EINVAL;
	if (srn_path_has_dotdot(req->dev_path)) {
		pr_warn_ratelimited("stor_rnbd_server: session %s: refusing path with \"..\": %s\n",
				    sess->name, req->dev_path);
		return -EINVAL;
	}
	full = srn_srv_full_path(sess->name, req->dev_path);
	if (!full)
		return -ENOMEM;

	mutex_lock(&srn_srv_lock);
	if (sess->dying) {
		ret = -ENOTCONN;
		goto out_unlock;
	}
	ret = lookup_bdev(full, &devt);
	if (!srn_srv_allow_any) {
		/* Unexported and nonexistent look the same to a client. */
		if (!ret)
			exp = srn_srv_export_find(sess, devt);
		if (!exp) {
			pr_info_ratelimited("stor_rnbd_server: session %s: %s is not exported to it\n",
					    sess->name, full);
			ret = -EACCES;
			goto out_unlock;
		}
		if (exp->read_only && mode != SRN_ACCESS_RO) {
			ret = -EROFS;
			goto out_unlock;
		}
	}
	if (ret)
		goto out_unlock;

	/* The same device again for the same session: same answer. */
	xa_for_each(&sess->devs, idx, other) {
		if (other->devt != devt)
			continue;
		if (other->access_mode != mode) {
			ret = -EEXIST;
			goto out_unlock;
		}
		srn_srv_fill_open_rsp(other, rsp);
		ret = 0;
		goto out_unlock;
	}
	list_for_each_entry(other, &srn_srv_opens, list) {
		if (other->devt == devt && other->access_mode != SRN_ACCESS_RO)
			writers++;
	}
	if ((mode == SRN_ACCESS_RW && writers) ||
	    (mode == SRN_ACCESS_MIGRATION && writers > 1)) {
		pr_info_ratelimited("stor_rnbd_server: session %s: %s is already open for writing\n",
				    sess->name, full);
		ret = -EBUSY;
		goto out_unlock;
	}

	dev = kzalloc(sizeof(*dev), GFP_KERNEL);
	if (!dev) {
		ret = -ENOMEM;
		goto out_unlock;
	}
	dev->mapping_path = kstrdup(req->dev_path, GFP_KERNEL);
	if (!dev->mapping_path) {
		ret = -ENOMEM;
		goto err_free;
	}
	ret = stor_bdev_open(full, mode != SRN_ACCESS_RO, &dev->bref);
	if (ret)
		goto err_free;
	if (dev->bref.bdev->bd_dev != devt) {
		/* Replaced between lookup and open: do not guess. */
		ret = -EAGAIN;
		goto err_close;
	}
	dev->sess = sess;
	dev->devt = devt;
	dev->access_mode = mode;
	dev->read_only = mode == SRN_ACCESS_RO ||
			 bdev_read_only(dev->bref.bdev);
	dev->full_path = full;
	refcount_set(&dev->ref, 1);
	init_completion(&dev->released);
	ret = xa_alloc_cyclic(&sess->devs, &id, dev,
			      XA_LIMIT(1, SRN_SRV_MAX_DEVS_PER_SESS),
			      &sess->next_dev_id, GFP_KERNEL);
	if (ret < 0) {
		ret = ret == -EBUSY ? -EMFILE : ret;
		goto err_close;
	}
	dev->dev_id = id;
	list_add_tail(&dev->list, &srn_srv_opens);
	srn_srv_fill_open_rsp(dev, rsp);
	mutex_unlock(&srn_srv_lock);
	pr_info("stor_rnbd_server: session %s: opened %s (%s) as device %u\n",
		sess->name, full, srn_access_name(mode), id);
	return 0;

err_close:
	stor_bdev_close(&dev->bref);
err_free:
	kfree(dev->mapping_path);
	kfree(dev);
out_unlock:
	mutex_unlock(&srn_srv_lock);
	kfree(full);
	return ret;
}

/* force_close closed device @dev_id of @sess: tell its client. */
static void srn_srv_note_closed(struct srn_srv_sess *sess, u32 dev_id)
{
	lockdep_assert_held(&srn_srv_lock);
	if (sess->nr_closed == SRN_SRV_MAX_CLOSED) {
		memmove(&sess->closed_ids[0], &sess->closed_ids[1],
			(SRN_SRV_MAX_CLOSED - 1) * sizeof(sess->closed_ids[0]));
		sess->nr_closed--;
	}
	sess->closed_ids[sess->nr_closed++] = dev_id;
}

static void srn_srv_add_event(struct srn_hb_rsp *rsp, u32 n, u32 dev_id,
			      u16 type, u64 value)
{
	rsp->events[n].dev_id = cpu_to_le32(dev_id);
	rsp->events[n].type = cpu_to_le16(type);
	rsp->events[n].value = cpu_to_le64(value);
}

/**
 * srn_srv_hb_rsp_fill - the device events of a heartbeat response
 * @sess: the session of the path the heartbeat came on
 * @rsp: the response, zeroed, SRN_CTL_MSG_SIZE bytes
 *
 * First the devices force_close closed, then every device of @sess whose
 * size is not the one its client last learnt (the server's device was
 * resized).  Each is sent once, on whichever path heartbeats first; what
 * does not fit goes with the next heartbeat.  Called from the control
 * work.
 *
 * Return: the response's length: a bare header without events.
 */
u32 srn_srv_hb_rsp_fill(struct srn_srv_sess *sess, struct srn_hb_rsp *rsp)
{
	struct srn_srv_sess_dev *dev;
	unsigned long idx;
	u32 n = 0, i;

	mutex_lock(&srn_srv_lock);
	for (i = 0; i < sess->nr_closed && n < SRN_HB_MAX_EVENTS; i++)
		srn_srv_add_event(rsp, n++, sess->closed_ids[i],
				  SRN_DEV_EV_CLOSED, 0);
	sess->nr_closed -= i;
	memmove(&sess->closed_ids[0], &sess->closed_ids[i],
		sess->nr_closed * sizeof(sess->closed_ids[0]));
	xa_for_each(&sess->devs, idx, dev) {
		u64 now = bdev_nr_sectors(dev->bref.bdev);

		if (now == dev->announced)
			continue;
		if (n == SRN_HB_MAX_EVENTS)
			break;
		srn_srv_add_event(rsp, n++, dev->dev_id, SRN_DEV_EV_SIZE, now);
		pr_info("stor_rnbd_server: session %s: %s (device %u) is now %llu sectors, telling the client\n",
			sess->name, dev->full_path, dev->dev_id, now);
		dev->announced = now;
	}
	mutex_unlock(&srn_srv_lock);
	if (!n)
		return sizeof(rsp->hdr);
	rsp->nr_events = cpu_to_le32(n);
	return struct_size(rsp, events, n);
}

/* ------------------------------------------------------------ sysfs */

/*
 * Split "key=value key=value ..." in place.  Calls @fn for each pair;
 * stops at the first error.
 */
static int srn_parse_kv(char *buf, int (*fn)(void *ctx, char *key, char *val),
			void *ctx)
{
	char *tok;
	int ret;

	while ((tok = strsep(&buf, " \t\n"))) {
		char *val;

		if (!*tok)
			continue;
		val = strchr(tok, '=');
		if (!val || val == tok || !val[1])
			return -EINVAL;
		*val++ = '\0';
		ret = fn(ctx, tok, val);
		if (ret)
			return ret;
	}
	return 0;
}

struct srn_export_args {
	char *path;
	char *sessname;
	int mode;
	bool has_mode;
	u32 dev_id;
	bool has_dev_id;
};

static int srn_export_arg(void *ctx, char *key, char *val)
{
	struct srn_export_args *a = ctx;

	if (!strcmp(key, "device_path")) {
		if (a->path)
			return -EINVAL;
		a->path = val;
	} else if (!strcmp(key, "sessname")) {
		if (a->sessname || !srn_sessname_valid(val, strlen(val) + 1))
			return -EINVAL;
		a->sessname = val;
	} else if (!strcmp(key, "access_mode")) {
		if (a->has_mode)
			return -EINVAL;
		a->mode = srn_access_parse(val);
		if (a->mode != SRN_ACCESS_RO && a->mode != SRN_ACCESS_RW)
			return -EINVAL;
		a->has_mode = true;
	} else if (!strcmp(key, "dev_id")) {
		if (a->has_dev_id || kstrtou32(val, 10, &a->dev_id))
			return -EINVAL;
		a->has_dev_id = true;
	} else {
		return -EINVAL;
	}
	return 0;
}

static int srn_export_path_ok(const char *path)
{
	if (!path || path[0] != '/' || strlen(path) >= SRN_DEVPATH_MAX ||
	    srn_path_has_dotdot(path))
		return -EINVAL;
	return 0;
}

static struct srn_srv_export *srn_srv_export_lookup(const char *path,
						    const char *sessname)
{
	struct srn_srv_export *exp;

	list_for_each_entry(exp, &srn_srv_exports, list) {
		if (!strcmp(exp->path, path) &&
		    !strcmp(exp->sessname, sessname ? sessname : ""))
			return exp;
	}
	return NULL;
}

static ssize_t export_show(struct device *d, struct device_attribute *attr,
			   char *buf)
{
	return sysfs_emit(buf,
			  "Usage: echo \"device_path=<absolute path> [sessname=<session>] [access_mode=ro|rw]\" > export\n");
}

static ssize_t export_store(struct device *d, struct device_attribute *attr,
			    const char *buf, size_t count)
{
	struct srn_export_args a = { .mode = SRN_ACCESS_RW };
	struct srn_srv_export *exp;
	dev_t devt;
	char *copy;
	int ret;

	copy = kstrndup(buf, count, GFP_KERNEL);
	if (!copy)
		return -ENOMEM;
	ret = srn_parse_kv(copy, srn_export_arg, &a);
	if (!ret && (a.has_dev_id || srn_export_path_ok(a.path)))
		ret = -EINVAL;
	if (ret)
		goto out;
	ret = lookup_bdev(a.path, &devt);
	if (ret)
		goto out;
	exp = kzalloc(sizeof(*exp), GFP_KERNEL);
	if (!exp) {
		ret = -ENOMEM;
		goto out;
	}
	exp->path = kstrdup(a.path, GFP_KERNEL);
	if (!exp->path) {
		kfree(exp);
		ret = -ENOMEM;
		goto out;
	}
	if (a.sessname)
		strscpy(exp->sessname, a.sessname, sizeof(exp->sessname));
	exp->read_only = a.mode == SRN_ACCESS_RO;
	mutex_lock(&srn_srv_lock);
	if (srn_srv_export_lookup(exp->path, a.sessname)) {
		ret = -EEXIST;
	} else {
		list_add_tail(&exp->list, &srn_srv_exports);
		exp = NULL;
	}
	mutex_unlock(&srn_srv_lock);
	if (exp) {
		kfree(exp->path);
		kfree(exp);
	}
out:
	kfree(copy);
	return ret ? ret : count;
}
static DEVICE_ATTR_RW(export);

static ssize_t unexport_show(struct device *d, struct device_attribute *attr,
			     char *buf)
{
	return sysfs_emit(buf,
			  "Usage: echo \"device_path=<path as exported> [sessname=<session>]\" > unexport\n");
}

static ssize_t unexport_store(struct device *d, struct device_attribute *attr,
			      const char *buf, size_t count)
{
	struct srn_export_args a = {};
	struct srn_srv_export *exp = NULL;
	char *copy;
	int ret;

	copy = kstrndup(buf, count, GFP_KERNEL);
	if (!copy)
		return -ENOMEM;
	ret = srn_parse_kv(copy, srn_export_arg, &a);
	if (!ret && (!a.path || a.has_mode || a.has_dev_id))
		ret = -EINVAL;
	if (!ret) {
		mutex_lock(&srn_srv_lock);
		exp = srn_srv_export_lookup(a.path, a.sessname);
		if (exp)
			list_del(&exp->list);
		else
			ret = -ENOENT;
		mutex_unlock(&srn_srv_lock);
	}
	if (exp) {
		kfree(exp->path);
		kfree(exp);
	}
	kfree(copy);
	return ret ? ret : count;
}
static DEVICE_ATTR_RW(unexport);

static ssize_t exports_show(struct device *d, struct device_attribute *attr,
			    char *buf)
{
	struct srn_srv_export *exp;
	int len = 0;

	mutex_lock(&srn_srv_lock);
	list_for_each_entry(exp, &srn_srv_exports, list) {
		len += sysfs_emit_at(buf, len, "%s sessname=%s access_mode=%s\n",
				     exp->path,
				     exp->sessname[0] ? exp->sessname : "*",
				     exp->read_only ? "ro" : "rw");
	}
	mutex_unlock(&srn_srv_lock);
	return len;
}
static DEVICE_ATTR_RO(exports);

static ssize_t sessions_show(struct device *d, struct device_attribute *attr,
			     char *buf)
{
	struct srn_srv_sess *sess;
	struct srn_srv_sess_dev *dev;
	unsigned long idx;
	unsigned int nr;
	int len = 0;

	mutex_lock(&srn_srv_lock);
	list_for_each_entry(sess, &srn_srv_sessions, list) {
		nr = 0;
		xa_for_each(&sess->devs, idx, dev)
			nr++;
		len += sysfs_emit_at(buf, len, "%s paths=%u devices=%u%s\n",
				     sess->name, sess->nr_paths, nr,
				     sess->dying ? " closing" : "");
	}
	mutex_unlock(&srn_srv_lock);
	return len;
}
static DEVICE_ATTR_RO(sessions);

static ssize_t paths_show(struct device *d, struct device_attribute *attr,
			  char *buf)
{
	struct srn_srv_path *path;
	int len = 0;

	mutex_lock(&srn_srv_lock);
	list_for_each_entry(path, &srn_srv_paths, list) {
		len += sysfs_emit_at(buf, len,
				     "%s %pISc %s io_cons=%u queue_depth=%u max_io_size=%u\n",
				     path->sess ? path->sess->name : "-",
				     &path->peer,
				     srn_srv_path_state_name(path->state),
				     path->nr_io_cons, path->queue_depth,
				     path->max_io_size);
	}
	mutex_unlock(&srn_srv_lock);
	return len;
}
static DEVICE_ATTR_RO(paths);

static ssize_t devices_show(struct device *d, struct device_attribute *attr,
			    char *buf)
{
	struct srn_srv_sess_dev *dev;
	int len = 0;

	mutex_lock(&srn_srv_lock);
	list_for_each_entry(dev, &srn_srv_opens, list) {
		len += sysfs_emit_at(buf, len, "%s %u %s %s %s\n",
				     dev->sess->name, dev->dev_id,
				     srn_access_name(dev->access_mode),
				     dev->mapping_path, dev->full_path);
	}
	mutex_unlock(&srn_srv_lock);
	return len;
}
static DEVICE_ATTR_RO(devices);

static ssize_t force_close_show(struct device *d, struct device_attribute *attr,
				char *buf)
{
	return sysfs_emit(buf,
			  "Usage: echo \"sessname=<session> [dev_id=<id>]\" > force_close\n");
}

static ssize_t force_close_store(struct device *d,
				 struct device_attribute *attr,
				 const char *buf, size_t count)
{
	struct srn_export_args a = {};
	struct srn_srv_sess_dev *dev = NULL;
	struct srn_srv_sess *sess;
	struct srn_srv_path *path;
	char *copy;
	int ret;

	copy = kstrndup(buf, count, GFP_KERNEL);
	if (!copy)
		return -ENOMEM;
	ret = srn_parse_kv(copy, srn_export_arg, &a);
	if (!ret && (!a.sessname || a.path || a.has_mode))
		ret = -EINVAL;
	if (ret)
		goto out;
	mutex_lock(&srn_srv_lock);
	ret = -ENOENT;
	list_for_each_entry(sess, &srn_srv_sessions, list) {
		if (strcmp(sess->name, a.sessname) || sess->dying)
			continue;
		if (!a.has_dev_id) {
			list_for_each_entry(path, &sess->paths, sess_list)
				srn_srv_path_close(path);
			ret = 0;
		} else {
			dev = xa_erase(&sess->devs, a.dev_id);
			if (dev) {
				list_del(&dev->list);
				srn_srv_note_closed(sess, a.dev_id);
				ret = 0;
			}
		}
		break;
	}
	mutex_unlock(&srn_srv_lock);
	if (dev)
		srn_srv_dev_release(dev);
out:
	kfree(copy);
	return ret ? ret : count;
}
static DEVICE_ATTR_RW(force_close);

static struct attribute *srn_srv_ctl_attrs[] = {
	&dev_attr_export.attr,
	&dev_attr_unexport.attr,
	&dev_attr_exports.attr,
	&dev_attr_sessions.attr,
	&dev_attr_paths.attr,
	&dev_attr_devices.attr,
	&dev_attr_force_close.attr,
	NULL,
};
ATTRIBUTE_GROUPS(srn_srv_ctl);

static struct class srn_srv_class = {
	.name = "stor-rnbd-server",
};

/* ------------------------------------------------------------ module */

static int srn_srv_check_params(void)
{
	if (!srn_srv_queue_depth || srn_srv_queue_depth > SRN_MAX_QUEUE_DEPTH) {
		pr_err("stor_rnbd_server: queue_depth must be 1..%u\n",
		       SRN_MAX_QUEUE_DEPTH);
		return -EINVAL;
	}
	if (srn_srv_max_io_size < SRN_MIN_IO_SIZE ||
	    srn_srv_max_io_size > SRN_MAX_IO_SIZE ||
	    !IS_ALIGNED(srn_srv_max_io_size, SRN_MIN_IO_SIZE)) {
		pr_err("stor_rnbd_server: max_io_size must be a multiple of 4096 in 4096..1048576\n");
		return -EINVAL;
	}
	if (!srn_srv_dev_search_path || srn_srv_dev_search_path[0] != '/' ||
	    srn_path_has_dotdot(srn_srv_dev_search_path)) {
		pr_err("stor_rnbd_server: dev_search_path must be an absolute path without \"..\"\n");
		return -EINVAL;
	}
	return 0;
}

static void srn_srv_free_exports(void)
{
	struct srn_srv_export *exp, *tmp;

	list_for_each_entry_safe(exp, tmp, &srn_srv_exports, list) {
		list_del(&exp->list);
		kfree(exp->path);
		kfree(exp);
	}
}

static int __init srn_srv_init(void)
{
	int ret;

	srn_check_layout();
	ret = srn_srv_check_params();
	if (ret)
		return ret;
	srn_srv_wq = alloc_workqueue("stor_rnbd_srv", WQ_UNBOUND, 0);
	if (!srn_srv_wq)
		return -ENOMEM;
	ret = class_register(&srn_srv_class);
	if (ret)
		goto err_wq;
	srn_srv_ctl_dev = device_create_with_groups(&srn_srv_class, NULL,
						    MKDEV(0, 0), NULL,
						    srn_srv_ctl_groups, "ctl");
	if (IS_ERR(srn_srv_ctl_dev)) {
		ret = PTR_ERR(srn_srv_ctl_dev);
		goto err_class;
	}
	srn_srv_hb_start();
	ret = srn_srv_listen();
	if (ret)
		goto err_hb;
	pr_info("stor_rnbd_server: listening on port %u, dev_search_path %s%s\n",
		srn_srv_port, srn_srv_dev_search_path,
		srn_srv_allow_any ? ", serving any device (allow_any)" : "");
	return 0;

err_hb:
	srn_srv_hb_stop();
	device_unregister(srn_srv_ctl_dev);
err_class:
	class_unregister(&srn_srv_class);
err_wq:
	destroy_workqueue(srn_srv_wq);
	return ret;
}

static void __exit srn_srv_exit(void)
{
	/* No new connection after this; then close what is there. */
	srn_srv_stop_listen();
	srn_srv_hb_stop();
	srn_srv_close_all();
	device_unregister(srn_srv_ctl_dev);
	class_unregister(&srn_srv_class);
	destroy_workqueue(srn_srv_wq);
	srn_srv_free_exports();
	/* kfree_rcu() of closed devices. */
	rcu_barrier();
}

module_init(srn_srv_init);
module_exit(srn_srv_exit);

MODULE_DESCRIPTION("storctl remote block device server (RDMA)");
MODULE_LICENSE("GPL");
