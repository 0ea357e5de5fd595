// SPDX-License-Identifier: MIT
//
// dm::Client on top of libdevmapper.
#include <storctl/dm.hpp>

#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string_view>

#include <libdevmapper.h>

namespace storctl::dm {

namespace {

// libdevmapper reports problems through a global log callback (by default
// to stderr).  We keep the last error-level message and its errno so
// they can go into our Error instead of being printed.
struct LibdmLog {
	std::string last_message;
	int last_errno = 0;

	void reset()
	{
		last_message.clear();
		last_errno = 0;
	}
};

LibdmLog &libdm_log()
{
	static LibdmLog log;
	return log;
}

// _LOG_ERR in libdevmapper's private headers; levels above it are
// warnings, notices and debug output, which we drop.
constexpr int kLibdmLogErr = 3;
// Flags libdevmapper ORs into the level.
constexpr int kLibdmLogLevelMask = 0x0f;

extern "C" void libdm_log_fn(int level, const char *file, int line, int dm_errno_or_class,
			     const char *f, ...) __attribute__((format(printf, 5, 6)));

extern "C" void libdm_log_fn(int level, const char *, int, int dm_errno_or_class,
			     const char *f, ...)
{
	if ((level & kLibdmLogLevelMask) > kLibdmLogErr)
		return;
	char buf[512];
	va_list ap;
	va_start(ap, f);
	std::vsnprintf(buf, sizeof(buf), f, ap);
	va_end(ap);
	LibdmLog &log = libdm_log();
	log.last_message = buf;
	if (dm_errno_or_class > 0 && !log.last_errno)
		log.last_errno = dm_errno_or_class;
}

// One dm_task, destroyed with the object.
class Task {
public:
	explicit Task(int type)
	{
		libdm_log().reset();
		dmt_ = dm_task_create(type);
	}
	~Task()
	{
		if (dmt_)
			dm_task_destroy(dmt_);
	}
	Task(const Task &) = delete;
	Task &operator=(const Task &) = delete;

	dm_task *get() const { return dmt_; }
	explicit operator bool() const { return dmt_ != nullptr; }

private:
	dm_task *dmt_ = nullptr;
};

// Is the device-mapper misc device registered (/proc/misc)?  true when
// that cannot be told.
bool dm_driver_present()
{
	std::ifstream misc("/proc/misc");
	if (!misc)
		return true;
	std::string line;
	while (std::getline(misc, line))
		if (line.find("device-mapper") != std::string::npos)
			return true;
	return false;
}

Error make_dm_error(std::string_view what, int err)
{
	const LibdmLog &log = libdm_log();
	if (!err)
		err = log.last_errno;
	std::string msg = "device-mapper: cannot " + std::string(what);
	if (err == ENODEV || err == ENXIO || (err == ENOENT && log.last_message.find("control") != std::string::npos))
		return Error{Errc::unsupported, err,
			     msg + ": the kernel has no device-mapper driver (load module dm-mod)"};
	if (err) {
		Errc code = errc_from_errno(err);
		if (err == EPERM || err == EACCES)
			return Error{Errc::permission_denied, err,
				     msg + ": permission denied (device-mapper needs root / CAP_SYS_ADMIN)"};
		if (code == Errc::internal)
			code = Errc::kernel_failure;
		return Error{code, err, msg + ": " + std::strerror(err)};
	}
	if (!dm_driver_present())
		return Error{Errc::unsupported, 0,
			     msg + ": the kernel has no device-mapper driver (load module dm-mod)"};
	if (!log.last_message.empty())
		return Error{Errc::kernel_failure, 0, msg + ": " + log.last_message};
	return Error{Errc::kernel_failure, 0, msg};
}

// Run @task; with @udev, wait for udev to process the events it causes
// (device nodes created or removed) before returning.
Result<void> run(Task &task, std::string_view what, bool udev = false)
{
	if (!task)
		return make_dm_error(what, 0);
	std::uint32_t cookie = 0;
	// With udev running, /dev/mapper nodes are udev's job alone (as with
	// dmsetup): libdevmapper's own fallback would, e.g., delete the node
	// of a device whose removal is only deferred.  Without udev the
	// library creates and removes the nodes itself.
	const std::uint16_t flags = dm_udev_get_sync_support() ? DM_UDEV_DISABLE_LIBRARY_FALLBACK : 0;
	if (udev && !dm_task_set_cookie(task.get(), &cookie, flags))
		return make_dm_error(what, 0);
	const int success = dm_task_run(task.get());
	const int err = success ? 0 : dm_task_get_errno(task.get());
	// A cookie is waited for whatever the outcome (dmsetup does the same):
	// libdevmapper has already released it if no event will come.
	if (udev)
		(void)dm_udev_wait(cookie);
	if (!success)
		return make_dm_error(what, err);
	return ok();
}

Result<void> set_name(Task &task, const std::string &name, std::string_view what)
{
	if (!task)
		return make_dm_error(what, 0);
	if (!dm_task_set_name(task.get(), name.c_str()))
		return make_error(Errc::invalid_argument,
				  "device-mapper: invalid device name '" + name + "'");
	return ok();
}

std::vector<Target> targets_of(Task &task)
{
	std::vector<Target> out;
	void *next = nullptr;
	do {
		std::uint64_t start = 0, length = 0;
		char *type = nullptr, *params = nullptr;
		next = dm_get_next_target(task.get(), next, &start, &length, &type, &params);
		if (!type)
			continue;  // a device without a table
		out.push_back(Target{start, length, type, params ? params : ""});
	} while (next);
	return out;
}

class LibdmClient final : public Client {
public:
	LibdmClient()
	{
		static const bool once = [] {
			dm_log_with_errno_init(libdm_log_fn);
			return true;
		}();
		(void)once;
	}

	Result<std::vector<std::string>> list_names() override
	{
		Task task(DM_DEVICE_LIST);
		if (auto r = run(task, "list devices"); !r)
			return std::move(r).error();
		std::vector<std::string> names;
		dm_names *n = dm_task_get_names(task.get());
		if (!n || !n->dev)
			return names;
		for (;;) {
			names.emplace_back(n->name);
			if (!n->next)
				break;
			n = reinterpret_cast<dm_names *>(reinterpret_cast<char *>(n) + n->next);
		}
		return names;
	}

	Result<std::optional<DeviceInfo>> info(const std::string &name) override
	{
		const std::string what = "query " + name;
		Task task(DM_DEVICE_INFO);
		if (auto r = set_name(task, name, what); !r)
			return std::move(r).error();
		if (auto r = run(task, what); !r)
			return std::move(r).error();
		dm_info i{};
		if (!dm_task_get_info(task.get(), &i))
			return make_dm_error(what, 0);
		if (!i.exists)
			return std::optional<DeviceInfo>();
		DeviceInfo d;
		d.major = i.major;
		d.minor = i.minor;
		d.open_count = i.open_count;
		d.target_count = i.target_count;
		d.suspended = i.suspended != 0;
		d.live_table = i.live_table != 0;
		d.inactive_table = i.inactive_table != 0;
		return std::optional<DeviceInfo>(d);
	}

	Result<std::vector<Target>> table(const std::string &name) override
	{
		return table_or_status(DM_DEVICE_TABLE, name, "read the table of " + name);
	}

	Result<std::vector<Target>> status(const std::string &name) override
	{
		return table_or_status(DM_DEVICE_STATUS, name, "read the status of " + name);
	}

	Result<std::vector<TargetType>> target_types() override
	{
		Task task(DM_DEVICE_LIST_VERSIONS);
		if (auto r = run(task, "list target types"); !r)
			return std::move(r).error();
		std::vector<TargetType> types;
		dm_versions *v = dm_task_get_versions(task.get());
		if (!v)
			return types;
		dm_versions *last = nullptr;
		do {
			last = v;
			TargetType t;
			t.name = v->name;
			for (int i = 0; i < 3; i++)
				t.version[i] = v->version[i];
			types.push_back(std::move(t));
			v = reinterpret_cast<dm_versions *>(reinterpret_cast<char *>(v) + v->next);
		} while (last != v);
		return types;
	}

	Result<void> create(const std::string &name) override
	{
		const std::string what = "create " + name;
		Task task(DM_DEVICE_CREATE);
		if (auto r = set_name(task, name, what); !r)
			return r;
		return run(task, what);
	}

	Result<void> load(const std::string &name, const std::vector<Target> &targets) override
	{
		const std::string what = "load a table into " + name;
		Task task(DM_DEVICE_RELOAD);
		if (auto r = set_name(task, name, what); !r)
			return r;
		for (const Target &t : targets)
			if (!dm_task_add_target(task.get(), t.start, t.length, t.type.c_str(),
						t.params.c_str()))
				return make_error(Errc::no_memory, "device-mapper: cannot " + what +
						  ": out of memory");
		return run(task, what);
	}

	Result<void> clear_inactive(const std::string &name) override
	{
		const std::string what = "clear the inactive table of " + name;
		Task task(DM_DEVICE_CLEAR);
		if (auto r = set_name(task, name, what); !r)
			return r;
		return run(task, what);
	}

	Result<void> suspend(const std::string &name) override
	{
		const std::string what = "suspend " + name;
		Task task(DM_DEVICE_SUSPEND);
		if (auto r = set_name(task, name, what); !r)
			return r;
		return run(task, what);
	}

	Result<void> resume(const std::string &name) override
	{
		const std::string what = "resume " + name;
		Task task(DM_DEVICE_RESUME);
		if (auto r = set_name(task, name, what); !r)
			return r;
		return run(task, what, true);
	}

	Result<void> remove(const std::string &name, bool deferred) override
	{
		const std::string what = "remove " + name;
		Task task(DM_DEVICE_REMOVE);
		if (auto r = set_name(task, name, what); !r)
			return r;
		// udev opens a device briefly after every change; libdevmapper
		// retries a remove that fails on such a transient opener.
		if (deferred ? !dm_task_deferred_remove(task.get()) : !dm_task_retry_remove(task.get()))
			return make_dm_error(what, 0);
		return run(task, what, true);
	}

	Result<std::string> message(const std::string &name, const std::string &msg) override
	{
		const std::string what = "send message '" + msg + "' to " + name;
		Task task(DM_DEVICE_TARGET_MSG);
		if (auto r = set_name(task, name, what); !r)
			return std::move(r).error();
		if (!dm_task_set_sector(task.get(), 0) || !dm_task_set_message(task.get(), msg.c_str()))
			return make_error(Errc::no_memory, "device-mapper: cannot " + what +
					  ": out of memory");
		if (auto r = run(task, what); !r)
			return std::move(r).error();
		const char *resp = dm_task_get_message_response(task.get());
		return std::string(resp ? resp : "");
	}

private:
	Result<std::vector<Target>> table_or_status(int type, const std::string &name,
						    const std::string &what)
	{
		Task task(type);
		if (auto r = set_name(task, name, what); !r)
			return std::move(r).error();
		if (auto r = run(task, what); !r)
			return std::move(r).error();
		return targets_of(task);
	}
};

} // namespace

std::unique_ptr<Client> make_libdm_client()
{
	return std::make_unique<LibdmClient>();
}

} // namespace storctl::dm
