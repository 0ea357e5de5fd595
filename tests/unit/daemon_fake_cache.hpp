// SPDX-License-Identifier: MIT
//
// A fake device-mapper and block-device world for CacheManager, shared by
// the daemon and `storctl --url` tests: FakeKernel holds the devices, and
// any number of CacheManagers (one per App, as after a daemon restart) see
// the same ones.  Devices held by a cache table are busy for probe(), as
// the kernel's exclusive open makes them.  stor-cache status counters live
// per device; the "clear_stats" message zeroes them.
#pragma once

#include <cerrno>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <storctl/cache.hpp>

namespace storctl::test {

struct FakeDmDev {
	dm::DeviceInfo info;
	std::vector<dm::Target> live;
	std::vector<dm::Target> inactive;
	std::array<std::uint64_t, 14> counters{};
};

struct FakeKernel {
	std::map<std::string, FakeDmDev> dm;
	std::map<std::string, BlockDevice> devices;  ///< path -> device
	std::vector<std::string> calls;              ///< dm operations, in order
	std::vector<std::string> wiped;
	std::uint32_t next_minor = 0;
	int fail_create_errno = 0;  ///< once

	void add_device(const std::string &path, DevNo d, std::uint64_t size)
	{
		devices[path] = BlockDevice{path, d, size};
	}
	bool held(DevNo d) const
	{
		for (const auto &[n, dev] : dm)
			for (const dm::Target &t : dev.live)
				if (auto ct = parse_cache_table(t); ct && (ct->cache == d || ct->origin == d))
					return true;
		return false;
	}
	std::vector<std::string> removals() const
	{
		std::vector<std::string> r;
		for (const std::string &c : calls)
			if (c.rfind("remove", 0) == 0)
				r.push_back(c);
		return r;
	}
};

class FakeDmClient final : public dm::Client {
public:
	explicit FakeDmClient(std::shared_ptr<FakeKernel> k) : k_(std::move(k)) {}

	Result<std::vector<std::string>> list_names() override
	{
		std::vector<std::string> names;
		for (const auto &[n, d] : k_->dm)
			names.push_back(n);
		return names;
	}
	Result<std::optional<dm::DeviceInfo>> info(const std::string &name) override
	{
		auto it = k_->dm.find(name);
		if (it == k_->dm.end())
			return std::optional<dm::DeviceInfo>();
		dm::DeviceInfo i = it->second.info;
		i.live_table = !it->second.live.empty();
		i.inactive_table = !it->second.inactive.empty();
		i.target_count = static_cast<std::uint32_t>(it->second.live.size());
		return std::optional<dm::DeviceInfo>(i);
	}
	Result<std::vector<dm::Target>> table(const std::string &name) override
	{
		auto d = find(name);
		if (!d)
			return std::move(d).error();
		return (*d)->live;
	}
	Result<std::vector<dm::Target>> status(const std::string &name) override
	{
		auto d = find(name);
		if (!d)
			return std::move(d).error();
		std::vector<dm::Target> out;
		for (dm::Target t : (*d)->live) {
			if (t.type == kStorCacheTarget) {
				std::string s;
				for (std::uint64_t c : (*d)->counters)
					s += (s.empty() ? "" : " ") + std::to_string(c);
				t.params = s;
			} else {
				t.params = "0 4096 4096 0 10 4 20 0 0 0 0 0 1 0";
			}
			out.push_back(t);
		}
		return out;
	}
	Result<std::vector<dm::TargetType>> target_types() override
	{
		return std::vector<dm::TargetType>{{"linear", {1, 0, 0}}, {"stor-cache", {1, 0, 0}},
						   {"writecache", {1, 0, 0}}};
	}
	Result<void> create(const std::string &name) override
	{
		k_->calls.push_back("create " + name);
		if (int e = k_->fail_create_errno) {
			k_->fail_create_errno = 0;
			return Error{errc_from_errno(e), e, "create " + name + " failed"};
		}
		if (k_->dm.count(name))
			return Error{Errc::exists, EEXIST, "exists"};
		k_->dm[name].info = dm::DeviceInfo{254, 100 + k_->next_minor++, 0, 0, false, false, false};
		return ok();
	}
	Result<void> load(const std::string &name, const std::vector<dm::Target> &t) override
	{
		k_->calls.push_back("load " + name);
		auto d = find(name);
		if (!d)
			return std::move(d).error();
		(*d)->inactive = t;
		return ok();
	}
	Result<void> clear_inactive(const std::string &name) override
	{
		auto d = find(name);
		if (!d)
			return std::move(d).error();
		(*d)->inactive.clear();
		return ok();
	}
	Result<void> suspend(const std::string &name) override
	{
		auto d = find(name);
		if (!d)
			return std::move(d).error();
		(*d)->info.suspended = true;
		return ok();
	}
	Result<void> resume(const std::string &name) override
	{
		auto d = find(name);
		if (!d)
			return std::move(d).error();
		if (!(*d)->inactive.empty()) {
			(*d)->live = std::move((*d)->inactive);
			(*d)->inactive.clear();
		}
		(*d)->info.suspended = false;
		return ok();
	}
	Result<void> remove(const std::string &name, bool deferred) override
	{
		k_->calls.push_back(std::string(deferred ? "remove-deferred " : "remove ") + name);
		auto d = find(name);
		if (!d)
			return std::move(d).error();
		if ((*d)->info.open_count > 0)
			return deferred ? ok() : Result<void>(Error{Errc::busy, EBUSY, name + " is open"});
		k_->dm.erase(name);
		return ok();
	}
	Result<std::string> message(const std::string &name, const std::string &msg) override
	{
		k_->calls.push_back("message " + name + " " + msg);
		auto d = find(name);
		if (!d)
			return std::move(d).error();
		if (msg == "clear_stats")
			for (std::size_t i = 0; i < 9; i++)
				(*d)->counters[i] = 0;
		return std::string();
	}

private:
	Result<FakeDmDev *> find(const std::string &name)
	{
		auto it = k_->dm.find(name);
		if (it == k_->dm.end())
			return Error{Errc::not_found, ENXIO, name + ": no such device"};
		return &it->second;
	}

	std::shared_ptr<FakeKernel> k_;
};

class FakeCacheSys final : public CacheSystem {
public:
	explicit FakeCacheSys(std::shared_ptr<FakeKernel> k) : k_(std::move(k)) {}

	Result<BlockDevice> probe(const std::string &path) override
	{
		auto it = k_->devices.find(path);
		if (it == k_->devices.end())
			return Error{Errc::not_found, ENOENT, path + " does not exist"};
		if (k_->held(it->second.devno))
			return Error{Errc::busy, EBUSY, path + " is in use (held by a cache)"};
		return it->second;
	}
	Result<void> wipe(const BlockDevice &dev, std::size_t bytes) override
	{
		k_->wiped.push_back(dev.path + " " + std::to_string(bytes));
		return ok();
	}
	std::string device_path(DevNo d) override
	{
		for (const auto &[p, dev] : k_->devices)
			if (dev.devno == d)
				return p;
		return d.str();
	}
	std::optional<std::string> mount_point(DevNo) override { return std::nullopt; }
	Result<void> load_module(const std::string &) override { return ok(); }
	std::chrono::steady_clock::time_point now() override { return clock_; }
	void sleep(std::chrono::milliseconds d) override { clock_ += d; }

private:
	std::shared_ptr<FakeKernel> k_;
	std::chrono::steady_clock::time_point clock_{};
};

/// A CacheManager over @k.
inline std::unique_ptr<CacheManager> fake_cache_manager(const std::shared_ptr<FakeKernel> &k)
{
	return std::make_unique<CacheManager>(std::make_unique<FakeDmClient>(k),
					      std::make_unique<FakeCacheSys>(k));
}

} // namespace storctl::test
