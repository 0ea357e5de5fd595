// SPDX-License-Identifier: GPL-2.0
/*
 * stor_rnbd_client: module parameters, sessions, the map_device grammar
 * and the sysfs interface /sys/class/stor-rnbd-client/ctl/ (docs/rnbd.md).
 *
 *   echo "sessname=NAME path=ip:ADDR[@ip:SRC] [path=...] device_path=PATH
 *         [access_mode=ro|rw|migration] [dest_port=N] [nr_poll_queues=N]"
 *	> /sys/class/stor-rnbd-client/ctl/map_device
 *
 * A session is created by the first map that names it (connecting every
 * path given; at least one must connect) and destroyed with its last
 * device.  Mapping into an existing session ignores the paths given.
 */
#include <linux/device.h>
#include <linux/inet.h>
#include <linux/module.h>
#include <linux/random.h>
#include <linux/siphash.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/sysfs.h>

#include "srn_clt.h"

unsigned int srn_clt_queue_depth = 128;
module_param_named(queue_depth, srn_clt_queue_depth, uint, 0644);
MODULE_PARM_DESC(queue_depth,
		 "I/Os in flight per session asked of the server, 1..256 (default 128; new sessions)");

unsigned int srn_clt_max_io_size = 128 * 1024;
module_param_named(max_io_size, srn_clt_max_io_size, uint, 0644);
MODULE_PARM_DESC(max_io_size,
		 "Largest I/O in bytes asked of the server (default 131072; new sessions)");

unsigned int srn_clt_nr_io_cons;
module_param_named(nr_io_cons, srn_clt_nr_io_cons, uint, 0644);
MODULE_PARM_DESC(nr_io_cons,
		 "I/O connections (hardware queues) per path, 0: one per CPU, at most 16 (default 0; new sessions)");

unsigned int srn_clt_hb_interval_ms = 1000;
module_param_named(hb_interval_ms, srn_clt_hb_interval_ms, uint, 0644);
MODULE_PARM_DESC(hb_interval_ms, "Heartbeat interval per path (default 1000)");

unsigned int srn_clt_hb_timeout_ms = 10000;
module_param_named(hb_timeout_ms, srn_clt_hb_timeout_ms, uint, 0644);
MODULE_PARM_DESC(hb_timeout_ms,
		 "A path without any message from the server for this long fails, 0: never (default 10000)");

unsigned int srn_clt_reconnect_delay_ms = 1000;
module_param_named(reconnect_delay_ms, srn_clt_reconnect_delay_ms, uint, 0644);
MODULE_PARM_DESC(reconnect_delay_ms,
		 "Delay between reconnect attempts (default 1000; new sessions, per session in sysfs)");

int srn_clt_max_reconnect_attempts = -1;
module_param_named(max_reconnect_attempts, srn_clt_max_reconnect_attempts,
		   int, 0644);
MODULE_PARM_DESC(max_reconnect_attempts,
		 "Reconnect attempts before a path gives up, -1: forever (default -1; new sessions, per session in sysfs)");

unsigned int srn_clt_io_hold_timeout_ms = 30000;
module_param_named(io_hold_timeout_ms, srn_clt_io_hold_timeout_ms, uint, 0644);
MODULE_PARM_DESC(io_hold_timeout_ms,
		 "I/O without a path is held this long, then fails, 0: fail at once (default 30000; per session in sysfs)");

bool srn_clt_direct_writes = true;
module_param_named(direct_writes, srn_clt_direct_writes, bool, 0644);
MODULE_PARM_DESC(direct_writes,
		 "Send a write from its pages without registering them when it fits in 4 work requests, N: always register (default Y)");

unsigned int srn_clt_small_read_size = 16384;
module_param_named(small_read_size, srn_clt_small_read_size, uint, 0644);
MODULE_PARM_DESC(small_read_size,
		 "Reads up to this many bytes land in a buffer registered once per chunk and are copied, instead of registering their pages; a multiple of 4096 up to 65536, 0: never (default 16384; taken when a path connects)");

struct workqueue_struct *srn_clt_wq;

/* Sessions; map, unmap and module unload hold it throughout. */
static DEFINE_MUTEX(srn_clt_lock);
static LIST_HEAD(srn_clt_sessions);
static bool srn_clt_exiting;

static struct device *srn_clt_ctl_dev;
static struct kobject *srn_clt_sessions_kobj;

/*
 * A session's uuid is derived from its name with keys chosen at load: a
 * session unmapped and mapped again under the same name is the same
 * session to the server, which may still be closing the old one.
 */
static siphash_key_t srn_clt_uuid_key[2];

static void srn_clt_sess_uuid(const char *name, uuid_t *uuid)
{
	size_t len = strlen(name);
	__le64 half[2] = {
		cpu_to_le64(siphash(name, len, &srn_clt_uuid_key[0])),
		cpu_to_le64(siphash(name, len, &srn_clt_uuid_key[1])),
	};

	BUILD_BUG_ON(sizeof(half) != sizeof(*uuid));
	import_uuid(uuid, (const u8 *)half);
}

int srn_clt_lock_for_sysfs(void)
{
	mutex_lock(&srn_clt_lock);
	if (srn_clt_exiting) {
		mutex_unlock(&srn_clt_lock);
		return -ENODEV;
	}
	return 0;
}

void srn_clt_unlock(void)
{
	mutex_unlock(&srn_clt_lock);
}

/* ------------------------------------------------------------ sessions */

#define to_srn_sess(k) container_of(k, struct srn_clt_sess, kobj)

void srn_clt_sess_put(struct srn_clt_sess *sess)
{
	kobject_put(&sess->kobj);
}

static ssize_t sess_state_show(struct kobject *kobj,
			       struct kobj_attribute *attr, char *buf)
{
	struct srn_clt_sess *sess = to_srn_sess(kobj);
	const char *state;

	/* Not under sess->lock, which a reconnect holds while it waits. */
	state = READ_ONCE(sess->closing) ? "closing" :
		READ_ONCE(sess->connected) ? "connected" : "disconnected";
	return sysfs_emit(buf, "%s\n", state);
}

static ssize_t sess_paths_show(struct kobject *kobj,
			       struct kobj_attribute *attr, char *buf)
{
	struct srn_clt_sess *sess = to_srn_sess(kobj);
	struct srn_clt_path *path;
	unsigned int i, n;
	int len = 0;

	/*
	 * Under RCU like the I/O path, not under sess->lock: a reconnect
	 * holds that for as long as a connect attempt takes (tens of seconds
	 * to an unreachable server), and this file is how one watches it.
	 */
	rcu_read_lock();
	n = srn_clt_nr_paths(sess);
	for (i = 0; i < n; i++) {
		path = READ_ONCE(sess->paths[i]);
		if (!path)
			continue;
		len += sysfs_emit_at(buf, len, "%u ip:%pISc", i, &path->dst);
		if (path->has_src)
			len += sysfs_emit_at(buf, len, "@ip:%pISc", &path->src);
		len += sysfs_emit_at(buf, len,
				     " %s inflight=%d requests=%lld errors=%llu reconnects=%llu mr_writes=%lld polled=%lld bounce_reads=%lld\n",
				     srn_clt_path_state_name(READ_ONCE(path->state)),
				     atomic_read(&path->inflight),
				     (long long)atomic64_read(&path->nr_requests),
				     READ_ONCE(path->nr_errors),
				     READ_ONCE(path->nr_reconnects),
				     (long long)atomic64_read(&path->nr_mr_writes),
				     (long long)atomic64_read(&path->nr_polled),
				     (long long)atomic64_read(&path->nr_bounce_reads));
	}
	rcu_read_unlock();
	return len;
}

static ssize_t sess_devices_show(struct kobject *kobj,
				 struct kobj_attribute *attr, char *buf)
{
	struct srn_clt_sess *sess = to_srn_sess(kobj);
	struct srn_clt_dev *dev;
	int len = 0;

	mutex_lock(&sess->lock);
	list_for_each_entry(dev, &sess->devs, list) {
		len += sysfs_emit_at(buf, len, "%s %s %s\n",
				     dev->disk->disk_name, dev->mapping_path,
				     srn_clt_dev_state_name(dev->state));
	}
	mutex_unlock(&sess->lock);
	return len;
}

static const char * const srn_mp_policy_names[] = {
	[SRN_MP_ROUND_ROBIN] = "round-robin",
	[SRN_MP_MIN_INFLIGHT] = "min-inflight",
};

static ssize_t sess_mp_policy_show(struct kobject *kobj,
				   struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%s\n",
			  srn_mp_policy_names[READ_ONCE(to_srn_sess(kobj)->mp_policy)]);
}

static ssize_t sess_mp_policy_store(struct kobject *kobj,
				    struct kobj_attribute *attr,
				    const char *buf, size_t count)
{
	int i = sysfs_match_string(srn_mp_policy_names, buf);

	if (i < 0)
		return i;
	WRITE_ONCE(to_srn_sess(kobj)->mp_policy, i);
	return count;
}

static ssize_t sess_hold_show(struct kobject *kobj,
			      struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%u\n",
			  READ_ONCE(to_srn_sess(kobj)->hold_timeout_ms));
}

static ssize_t sess_hold_store(struct kobject *kobj,
			       struct kobj_attribute *attr,
			       const char *buf, size_t count)
{
	unsigned int ms;
	int ret = kstrtouint(buf, 10, &ms);

	if (ret)
		return ret;
	WRITE_ONCE(to_srn_sess(kobj)->hold_timeout_ms, ms);
	return count;
}

static ssize_t sess_reconnect_delay_show(struct kobject *kobj,
					 struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%u\n",
			  READ_ONCE(to_srn_sess(kobj)->reconnect_delay_ms));
}

/* 1 ms .. 1 hour: 0 would retry in a tight loop. */
static ssize_t sess_reconnect_delay_store(struct kobject *kobj,
					  struct kobj_attribute *attr,
					  const char *buf, size_t count)
{
	unsigned int ms;
	int ret = kstrtouint(buf, 10, &ms);

	if (ret)
		return ret;
	if (!ms || ms > 3600 * 1000)
		return -EINVAL;
	WRITE_ONCE(to_srn_sess(kobj)->reconnect_delay_ms, ms);
	return count;
}

static ssize_t sess_max_reconnect_show(struct kobject *kobj,
				       struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%d\n",
			  READ_ONCE(to_srn_sess(kobj)->max_reconnect_attempts));
}

/* A new limit also restarts the paths that gave up under the old one. */
static ssize_t sess_max_reconnect_store(struct kobject *kobj,
					struct kobj_attribute *attr,
					const char *buf, size_t count)
{
	struct srn_clt_sess *sess = to_srn_sess(kobj);
	struct srn_clt_path *path;
	unsigned int i;
	int n, ret = kstrtoint(buf, 10, &n);

	if (ret)
		return ret;
	if (n < -1)
		return -EINVAL;
	mutex_lock(&sess->lock);
	WRITE_ONCE(sess->max_reconnect_attempts, n);
	for (i = 0; i < sess->nr_paths && !sess->closing; i++) {
		path = sess->paths[i];
		if (path->removed ||
		    READ_ONCE(path->state) != SRN_CLT_PATH_DISCONNECTED ||
		    delayed_work_pending(&path->reconnect_work))
			continue;
		path->reconnect_attempts = 0;
		srn_clt_path_schedule_reconnect(path);
	}
	mutex_unlock(&sess->lock);
	return count;
}

static ssize_t sess_params_show(struct kobject *kobj,
				struct kobj_attribute *attr, char *buf)
{
	struct srn_clt_sess *sess = to_srn_sess(kobj);
	u32 val;

	mutex_lock(&sess->lock);
	if (!strcmp(attr->attr.name, "queue_depth"))
		val = sess->queue_depth;
	else if (!strcmp(attr->attr.name, "nr_io_cons"))
		val = sess->nr_io_cons;
	else if (!strcmp(attr->attr.name, "nr_poll_queues"))
		val = sess->nr_poll_queues;
	else
		val = sess->max_io_size;
	mutex_unlock(&sess->lock);
	return sysfs_emit(buf, "%u\n", val);
}

static int srn_clt_parse_addr(char *s, u16 port, struct sockaddr_storage *ss);

static ssize_t sess_add_path_show(struct kobject *kobj,
				  struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf,
			  "Usage: echo ip:<server addr>[@ip:<source addr>] > add_path\n");
}

/*
 * Not under srn_clt_lock: the session's kobject is deleted with that held,
 * which waits for writers here.  sess->closing (under sess->lock) stops
 * them instead.
 */
static ssize_t sess_add_path_store(struct kobject *kobj,
				   struct kobj_attribute *attr,
				   const char *buf, size_t count)
{
	struct srn_clt_sess *sess = to_srn_sess(kobj);
	struct srn_clt_path *path;
	char *copy, *src;
	int ret;

	copy = kstrndup(buf, count, GFP_KERNEL);
	path = kzalloc(sizeof(*path), GFP_KERNEL);
	if (!copy || !path) {
		ret = -ENOMEM;
		goto out;
	}
	strim(copy);
	src = strchr(copy, '@');
	if (src)
		*src++ = '\0';
	ret = srn_clt_parse_addr(copy, sess->port, &path->dst);
	if (!ret && src) {
		ret = srn_clt_parse_addr(src, 0, &path->src);
		path->has_src = true;
	}
	if (ret)
		goto out;
	path->sess = sess;
	srn_clt_path_init(path);
	ret = srn_clt_sess_add_path(sess, path);
	if (!ret)
		path = NULL;
out:
	kfree(path);
	kfree(copy);
	return ret ? ret : count;
}

static ssize_t sess_remove_path_show(struct kobject *kobj,
				     struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf,
			  "Usage: echo <index from paths> > remove_path\n");
}

static ssize_t sess_remove_path_store(struct kobject *kobj,
				      struct kobj_attribute *attr,
				      const char *buf, size_t count)
{
	unsigned int idx;
	int ret = kstrtouint(buf, 10, &idx);

	if (ret)
		return ret;
	ret = srn_clt_sess_remove_path(to_srn_sess(kobj), idx);
	return ret ? ret : count;
}

static struct kobj_attribute srn_sess_attr_state =
	__ATTR(state, 0444, sess_state_show, NULL);
static struct kobj_attribute srn_sess_attr_paths =
	__ATTR(paths, 0444, sess_paths_show, NULL);
static struct kobj_attribute srn_sess_attr_devices =
	__ATTR(devices, 0444, sess_devices_show, NULL);
static struct kobj_attribute srn_sess_attr_mp_policy =
	__ATTR(mp_policy, 0644, sess_mp_policy_show, sess_mp_policy_store);
static struct kobj_attribute srn_sess_attr_hold =
	__ATTR(io_hold_timeout_ms, 0644, sess_hold_show, sess_hold_store);
static struct kobj_attribute srn_sess_attr_reconnect_delay =
	__ATTR(reconnect_delay_ms, 0644, sess_reconnect_delay_show,
	       sess_reconnect_delay_store);
static struct kobj_attribute srn_sess_attr_max_reconnect =
	__ATTR(max_reconnect_attempts, 0644, sess_max_reconnect_show,
	       sess_max_reconnect_store);
static struct kobj_attribute srn_sess_attr_queue_depth =
	__ATTR(queue_depth, 0444, sess_params_show, NULL);
static struct kobj_attribute srn_sess_attr_nr_io_cons =
	__ATTR(nr_io_cons, 0444, sess_params_show, NULL);
static struct kobj_attribute srn_sess_attr_nr_poll_queues =
	__ATTR(nr_poll_queues, 0444, sess_params_show, NULL);
static struct kobj_attribute srn_sess_attr_max_io_size =
	__ATTR(max_io_size, 0444, sess_params_show, NULL);
static struct kobj_attribute srn_sess_attr_add_path =
	__ATTR(add_path, 0644, sess_add_path_show, sess_add_path_store);
static struct kobj_attribute srn_sess_attr_remove_path =
	__ATTR(remove_path, 0644, sess_remove_path_show, sess_remove_path_store);

static struct attribute *srn_clt_sess_attrs[] = {
	&srn_sess_attr_state.attr,
	&srn_sess_attr_paths.attr,
	&srn_sess_attr_devices.attr,
	&srn_sess_attr_mp_policy.attr,
	&srn_sess_attr_hold.attr,
	&srn_sess_attr_reconnect_delay.attr,
	&srn_sess_attr_max_reconnect.attr,
	&srn_sess_attr_queue_depth.attr,
	&srn_sess_attr_nr_io_cons.attr,
	&srn_sess_attr_nr_poll_queues.attr,
	&srn_sess_attr_max_io_size.attr,
	&srn_sess_attr_add_path.attr,
	&srn_sess_attr_remove_path.attr,
	NULL,
};
ATTRIBUTE_GROUPS(srn_clt_sess);

static void srn_clt_sess_release(struct kobject *kobj)
{
	struct srn_clt_sess *sess = to_srn_sess(kobj);
	unsigned int i;

	if (sess->tag_set_ready)
		blk_mq_free_tag_set(&sess->tag_set);
	for (i = 0; i < sess->nr_paths; i++)
		kfree(sess->paths[i]);
	kfree(sess);
}

static const struct kobj_type srn_clt_sess_ktype = {
	.sysfs_ops	= &kobj_sysfs_ops,
	.default_groups	= srn_clt_sess_groups,
	.release	= srn_clt_sess_release,
};

static struct srn_clt_sess *srn_clt_sess_find(const char *name)
{
	struct srn_clt_sess *sess;

	list_for_each_entry(sess, &srn_clt_sessions, list) {
		if (!strcmp(sess->name, name))
			return sess;
	}
	return NULL;
}

/**
 * struct srn_clt_map_args - a parsed map_device string
 * @sessname: session name
 * @nr_paths: paths given
 * @path_str: the path= values, resolved once the port is known
 * @dst: server addresses
 * @src: source addresses
 * @has_src: a source address was given
 * @dev_path: device path on the server
 * @access_mode: enum srn_access_mode
 * @port: dest_port
 * @nr_poll_queues: nr_poll_queues
 * @seen: keys given (each at most once, path excepted)
 */
struct srn_clt_map_args {
	const char *sessname;
	unsigned int nr_paths;
	char *path_str[SRN_MAX_PATHS];
	struct sockaddr_storage dst[SRN_MAX_PATHS];
	struct sockaddr_storage src[SRN_MAX_PATHS];
	bool has_src[SRN_MAX_PATHS];
	const char *dev_path;
	int access_mode;
	u16 port;
	unsigned int nr_poll_queues;
	unsigned int seen;
};

static struct srn_clt_sess *srn_clt_sess_create(const struct srn_clt_map_args *a)
{
	struct srn_clt_sess *sess;
	struct srn_clt_path *path;
	unsigned int i;
	int ret;

	sess = kzalloc(sizeof(*sess), GFP_KERNEL);
	if (!sess)
		return ERR_PTR(-ENOMEM);
	kobject_init(&sess->kobj, &srn_clt_sess_ktype);
	strscpy(sess->name, a->sessname, sizeof(sess->name));
	srn_clt_sess_uuid(sess->name, &sess->uuid);
	mutex_init(&sess->lock);
	srn_clt_sess_init(sess);
	INIT_LIST_HEAD(&sess->devs);
	atomic_set(&sess->rr, 0);
	sess->mp_policy = SRN_MP_ROUND_ROBIN;
	sess->hold_timeout_ms = READ_ONCE(srn_clt_io_hold_timeout_ms);
	sess->reconnect_delay_ms = max(READ_ONCE(srn_clt_reconnect_delay_ms),
				       1U);
	sess->max_reconnect_attempts =
		max(READ_ONCE(srn_clt_max_reconnect_attempts), -1);
	sess->port = a->port;
	sess->nr_poll_queues = a->nr_poll_queues;
	for (i = 0; i < a->nr_paths; i++) {
		path = kzalloc(sizeof(*path), GFP_KERNEL);
		if (!path) {
			kobject_put(&sess->kobj);
			return ERR_PTR(-ENOMEM);
		}
		path->sess = sess;
		path->idx = i;
		path->dst = a->dst[i];
		path->src = a->src[i];
		path->has_src = a->has_src[i];
		srn_clt_path_init(path);
		sess->paths[i] = path;
		sess->nr_paths++;
	}
	ret = kobject_add(&sess->kobj, srn_clt_sessions_kobj, "%s", sess->name);
	if (ret) {
		kobject_put(&sess->kobj);
		return ERR_PTR(ret);
	}
	list_add_tail(&sess->list, &srn_clt_sessions);
	sess->in_list = true;
	return sess;
}

/* srn_clt_lock held: a session without devices goes away. */
void srn_clt_sess_maybe_destroy(struct srn_clt_sess *sess)
{
	lockdep_assert_held(&srn_clt_lock);
	if (!sess->in_list || sess->nr_devs)
		return;
	srn_clt_sess_close_paths(sess);
	list_del(&sess->list);
	sess->in_list = false;
	kobject_del(&sess->kobj);
	/* The list's reference; devices still open keep their own. */
	kobject_put(&sess->kobj);
}

/* ------------------------------------------------------------ map */

enum {
	SRN_KEY_SESSNAME	= 1 << 0,
	SRN_KEY_DEVICE_PATH	= 1 << 1,
	SRN_KEY_ACCESS_MODE	= 1 << 2,
	SRN_KEY_DEST_PORT	= 1 << 3,
	SRN_KEY_POLL_QUEUES	= 1 << 4,
};

static int srn_clt_map_arg(struct srn_clt_map_args *a, char *key, char *val)
{
	unsigned int bit;
	int ret = 0;

	if (!strcmp(key, "path")) {
		if (a->nr_paths >= SRN_MAX_PATHS)
			return -EINVAL;
		a->path_str[a->nr_paths++] = val;
		return 0;
	}
	if (!strcmp(key, "sessname")) {
		bit = SRN_KEY_SESSNAME;
		if (!srn_sessname_valid(val, strlen(val) + 1))
			return -EINVAL;
		a->sessname = val;
	} else if (!strcmp(key, "device_path")) {
		bit = SRN_KEY_DEVICE_PATH;
		if (strlen(val) >= SRN_DEVPATH_MAX)
			return -EINVAL;
		a->dev_path = val;
	} else if (!strcmp(key, "access_mode")) {
		bit = SRN_KEY_ACCESS_MODE;
		a->access_mode = srn_access_parse(val);
		if (a->access_mode < 0)
			return -EINVAL;
	} else if (!strcmp(key, "dest_port")) {
		bit = SRN_KEY_DEST_PORT;
		ret = kstrtou16(val, 10, &a->port);
		if (ret || !a->port)
			return -EINVAL;
	} else if (!strcmp(key, "nr_poll_queues")) {
		bit = SRN_KEY_POLL_QUEUES;
		ret = kstrtouint(val, 10, &a->nr_poll_queues);
		/* At least one interrupt-driven connection stays. */
		if (ret || a->nr_poll_queues > nr_cpu_ids ||
		    a->nr_poll_queues >= SRN_MAX_IO_CONS)
			return -EINVAL;
	} else {
		return -EINVAL;
	}
	if (a->seen & bit)
		return -EINVAL;
	a->seen |= bit;
	return 0;
}

/* "ip:ADDR" with ADDR an IPv4 or IPv6 address. */
static int srn_clt_parse_addr(char *s, u16 port, struct sockaddr_storage *ss)
{
	char port_str[8];

	if (strncmp(s, "ip:", 3) || !s[3])
		return -EINVAL;
	snprintf(port_str, sizeof(port_str), "%u", port);
	return inet_pton_with_scope(&init_net, AF_UNSPEC, s + 3, port_str, ss) ?
	       -EINVAL : 0;
}

static int srn_clt_parse_map(char *buf, struct srn_clt_map_args *a)
{
	unsigned int i;
	char *tok;
	int ret;

	a->access_mode = SRN_ACCESS_RW;
	a->port = SRN_DEFAULT_PORT;
	while ((tok = strsep(&buf, " \t\n"))) {
		char *val;

		if (!*tok)
			continue;
		val = strchr(tok, '=');
		if (!val || val == tok || !val[1])
			return -EINVAL;
		*val++ = '\0';
		ret = srn_clt_map_arg(a, tok, val);
		if (ret)
			return ret;
	}
	if (!a->sessname || !a->dev_path || !a->nr_paths || !a->dev_path[0])
		return -EINVAL;
	for (i = 0; i < a->nr_paths; i++) {
		char *src = strchr(a->path_str[i], '@');

		if (src)
			*src++ = '\0';
		ret = srn_clt_parse_addr(a->path_str[i], a->port, &a->dst[i]);
		if (!ret && src) {
			ret = srn_clt_parse_addr(src, 0, &a->src[i]);
			a->has_src[i] = true;
		}
		if (ret)
			return ret;
	}
	return 0;
}

static int srn_clt_map(const struct srn_clt_map_args *a)
{
	struct srn_clt_sess *sess;
	struct srn_clt_path *path;
	struct srn_open_rsp rsp;
	struct srn_clt_dev *dev;
	bool opened = false, created = false;
	unsigned int i, up = 0;
	int ret = 0, first_err = 0;

	lockdep_assert_held(&srn_clt_lock);
	sess = srn_clt_sess_find(a->sessname);
	if (!sess) {
		sess = srn_clt_sess_create(a);
		if (IS_ERR(sess))
			return PTR_ERR(sess);
		created = true;
	} else if ((a->seen & SRN_KEY_POLL_QUEUES) &&
		   a->nr_poll_queues != sess->nr_poll_queues) {
		/* Fixed with the session's tag set. */
		pr_warn("stor_rnbd_client: session %s has nr_poll_queues=%u\n",
			sess->name, sess->nr_poll_queues);
		return -EINVAL;
	}
	/* Ours until the end: an unmap cannot drop it, but a failure can. */
	kobject_get(&sess->kobj);
	mutex_lock(&sess->lock);
	if (created) {
		for (i = 0; i < sess->nr_paths; i++) {
			path = sess->paths[i];
			ret = srn_clt_path_connect_retry(path);
			if (!ret) {
				up++;
				continue;
			}
			pr_warn("stor_rnbd_client: session %s: cannot connect to %pISpc: %d\n",
				sess->name, &path->dst, ret);
			if (!first_err)
				first_err = ret;
		}
		if (!up) {
			ret = first_err;
			goto out_unlock;
		}
		for (i = 0; i < sess->nr_paths; i++) {
			if (READ_ONCE(sess->paths[i]->state) ==
			    SRN_CLT_PATH_DISCONNECTED)
				srn_clt_path_schedule_reconnect(sess->paths[i]);
		}
		WRITE_ONCE(sess->connected, true);
		pr_info("stor_rnbd_client: session %s: %u of %u paths connected\n",
			sess->name, up, sess->nr_paths);
	}

	list_for_each_entry(dev, &sess->devs, list) {
		if (!strcmp(dev->mapping_path, a->dev_path)) {
			ret = -EEXIST;
			goto out_unlock;
		}
	}
	path = srn_clt_any_path(sess);
	if (!path || !sess->connected) {
		ret = -ENOTCONN;
		goto out_unlock;
	}
	ret = srn_clt_open_remote(path, a->dev_path, a->access_mode, &rsp);
	if (ret)
		goto out_unlock;
	opened = true;
	if (!sess->tag_set_ready) {
		ret = srn_clt_tag_set_init(sess);
		if (ret)
			goto out_unlock;
	}
	dev = srn_clt_dev_create(sess, a->dev_path, a->access_mode, &rsp);
	if (IS_ERR(dev)) {
		ret = PTR_ERR(dev);
		goto out_unlock;
	}
	list_add_tail(&dev->list, &sess->devs);
	sess->nr_devs++;
	mutex_unlock(&sess->lock);

	ret = srn_clt_dev_add(dev);
	if (ret) {
		mutex_lock(&sess->lock);
		list_del(&dev->list);
		sess->nr_devs--;
		path = srn_clt_any_path(sess);
		if (path)
			srn_clt_close_remote(path, dev->dev_id);
		mutex_unlock(&sess->lock);
		srn_clt_dev_discard(dev);
	}
	goto out;

out_unlock:
	if (opened) {
		path = srn_clt_any_path(sess);
		if (path)
			srn_clt_close_remote(path, le32_to_cpu(rsp.dev_id));
	}
	mutex_unlock(&sess->lock);
out:
	srn_clt_sess_maybe_destroy(sess);
	kobject_put(&sess->kobj);
	return ret;
}

static ssize_t map_device_show(struct device *d, struct device_attribute *attr,
			       char *buf)
{
	return sysfs_emit(buf,
			  "Usage: echo \"sessname=<session> path=ip:<server addr>[@ip:<source addr>] [path=...] device_path=<path on the server> [access_mode=ro|rw|migration] [dest_port=<port>] [nr_poll_queues=0]\" > map_device\n");
}

static ssize_t map_device_store(struct device *d,
				struct device_attribute *attr,
				const char *buf, size_t count)
{
	struct srn_clt_map_args *a;
	char *copy;
	int ret;

	a = kzalloc(sizeof(*a), GFP_KERNEL);
	copy = kstrndup(buf, count, GFP_KERNEL);
	if (!a || !copy) {
		ret = -ENOMEM;
		goto out;
	}
	ret = srn_clt_parse_map(copy, a);
	if (ret)
		goto out;
	ret = srn_clt_lock_for_sysfs();
	if (ret)
		goto out;
	ret = srn_clt_map(a);
	srn_clt_unlock();
out:
	kfree(copy);
	kfree(a);
	return ret ? ret : count;
}
static DEVICE_ATTR_RW(map_device);

static ssize_t devices_show(struct device *d, struct device_attribute *attr,
			    char *buf)
{
	struct srn_clt_sess *sess;
	struct srn_clt_dev *dev;
	int len = 0;

	mutex_lock(&srn_clt_lock);
	list_for_each_entry(sess, &srn_clt_sessions, list) {
		mutex_lock(&sess->lock);
		list_for_each_entry(dev, &sess->devs, list) {
			len += sysfs_emit_at(buf, len, "%s %s %s %s %s\n",
					     dev->disk->disk_name, sess->name,
					     dev->mapping_path,
					     srn_access_name(dev->access_mode),
					     srn_clt_dev_state_name(dev->state));
		}
		mutex_unlock(&sess->lock);
	}
	mutex_unlock(&srn_clt_lock);
	return len;
}
static DEVICE_ATTR_RO(devices);

static struct attribute *srn_clt_ctl_attrs[] = {
	&dev_attr_map_device.attr,
	&dev_attr_devices.attr,
	NULL,
};
ATTRIBUTE_GROUPS(srn_clt_ctl);

static struct class srn_clt_class = {
	.name = "stor-rnbd-client",
};

/* ------------------------------------------------------------ module */

static int __init srn_clt_init(void)
{
	int ret;

	srn_check_layout();
	get_random_bytes(srn_clt_uuid_key, sizeof(srn_clt_uuid_key));
	srn_clt_wq = alloc_workqueue("stor_rnbd_clt", WQ_MEM_RECLAIM | WQ_UNBOUND,
				     0);
	if (!srn_clt_wq)
		return -ENOMEM;
	ret = srn_clt_dev_init();
	if (ret)
		goto err_wq;
	ret = class_register(&srn_clt_class);
	if (ret)
		goto err_dev;
	srn_clt_ctl_dev = device_create_with_groups(&srn_clt_class, NULL,
						    MKDEV(0, 0), NULL,
						    srn_clt_ctl_groups, "ctl");
	if (IS_ERR(srn_clt_ctl_dev)) {
		ret = PTR_ERR(srn_clt_ctl_dev);
		goto err_class;
	}
	srn_clt_sessions_kobj = kobject_create_and_add("sessions",
						       &srn_clt_ctl_dev->kobj);
	if (!srn_clt_sessions_kobj) {
		ret = -ENOMEM;
		goto err_ctl;
	}
	pr_info("stor_rnbd_client: loaded\n");
	return 0;

err_ctl:
	device_unregister(srn_clt_ctl_dev);
err_class:
	class_unregister(&srn_clt_class);
err_dev:
	srn_clt_dev_exit();
err_wq:
	destroy_workqueue(srn_clt_wq);
	return ret;
}

static void __exit srn_clt_exit(void)
{
	struct srn_clt_sess *sess, *tmp;
	struct srn_clt_dev *dev, *dtmp;

	/* sysfs writers that get the lock from now on back off. */
	mutex_lock(&srn_clt_lock);
	srn_clt_exiting = true;
	mutex_unlock(&srn_clt_lock);

	/*
	 * Nothing else changes the session list now; no device is open (an
	 * open device holds a reference on this module).  The lock is not
	 * held while sysfs files are removed: a writer may wait for it.
	 */
	list_for_each_entry_safe(sess, tmp, &srn_clt_sessions, list) {
		kobject_get(&sess->kobj);
		list_for_each_entry_safe(dev, dtmp, &sess->devs, list)
			srn_clt_dev_unmap(dev, true);
		mutex_lock(&srn_clt_lock);
		srn_clt_sess_maybe_destroy(sess);
		mutex_unlock(&srn_clt_lock);
		kobject_put(&sess->kobj);
	}
	kobject_put(srn_clt_sessions_kobj);
	device_unregister(srn_clt_ctl_dev);
	class_unregister(&srn_clt_class);
	destroy_workqueue(srn_clt_wq);
	srn_clt_dev_exit();
}

module_init(srn_clt_init);
module_exit(srn_clt_exit);

MODULE_DESCRIPTION("storctl remote block device client (RDMA)");
MODULE_LICENSE("GPL");
