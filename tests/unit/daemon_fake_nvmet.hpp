// SPDX-License-Identifier: MIT
//
// nvmet::Manager for the daemon tests: the library's in-memory nvmet tree
// (MemoryConfigFs), shared across daemon restarts like the kernel's, and a
// fake System with /dev/srd0 (252:0) and /dev/srd1 (252:1).
#pragma once

#include <map>
#include <memory>
#include <set>
#include <string>

#include <storctl/nvmet.hpp>

namespace storctl::test {

/// Forwards to a MemoryConfigFs that outlives the Manager.
class SharedConfigFs final : public nvmet::ConfigFs {
public:
	explicit SharedConfigFs(std::shared_ptr<nvmet::MemoryConfigFs> fs) : fs_(std::move(fs)) {}
	std::string root() const override { return fs_->root(); }
	bool exists(const std::string &p) override { return fs_->exists(p); }
	bool is_dir(const std::string &p) override { return fs_->is_dir(p); }
	Result<std::vector<std::string>> list(const std::string &d) override { return fs_->list(d); }
	Result<std::string> read(const std::string &p) override { return fs_->read(p); }
	Result<void> write(const std::string &p, const std::string &v) override { return fs_->write(p, v); }
	Result<void> mkdir(const std::string &p) override { return fs_->mkdir(p); }
	Result<void> rmdir(const std::string &p) override { return fs_->rmdir(p); }
	Result<void> symlink(const std::string &t, const std::string &l) override { return fs_->symlink(t, l); }
	Result<void> unlink(const std::string &l) override { return fs_->unlink(l); }
	Result<std::string> readlink(const std::string &l) override { return fs_->readlink(l); }

private:
	std::shared_ptr<nvmet::MemoryConfigFs> fs_;
};

class FakeNvmetSystem final : public nvmet::System {
public:
	std::map<std::string, std::pair<std::uint32_t, std::uint32_t>> devices{
		{"/dev/srd0", {252, 0}}, {"/dev/srd1", {252, 1}}};

	Result<nvmet::Volume> probe_volume(const std::string &path) override
	{
		auto it = devices.find(path);
		if (it == devices.end())
			return make_error(Errc::not_found, path + " does not exist");
		return nvmet::Volume{path, it->second.first, it->second.second, 32 << 20};
	}
	std::optional<std::pair<std::uint32_t, std::uint32_t>> devno(const std::string &path) override
	{
		auto it = devices.find(path);
		if (it == devices.end())
			return std::nullopt;
		return it->second;
	}
	Result<void> load_module(const std::string &) override { return ok(); }
	Result<void> ensure_configfs() override { return ok(); }
	Result<std::vector<nvmet::IpAddress>> interface_addresses(const std::string &name) override
	{
		return make_error(Errc::not_found, "no network interface '" + name + "'");
	}
	std::string hostname() override { return "testhost"; }
	std::string kernel_release() override { return "6.1.0-test"; }
};

inline std::shared_ptr<nvmet::MemoryConfigFs> fake_nvmet_tree()
{
	auto fs = std::make_shared<nvmet::MemoryConfigFs>();
	fs->devices = {"/dev/srd0", "/dev/srd1"};
	return fs;
}

inline std::unique_ptr<nvmet::Manager> fake_nvmet_manager(std::shared_ptr<nvmet::MemoryConfigFs> fs)
{
	return std::make_unique<nvmet::Manager>(std::make_unique<SharedConfigFs>(std::move(fs)),
						std::make_unique<FakeNvmetSystem>(), true);
}

} // namespace storctl::test
