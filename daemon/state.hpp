// SPDX-License-Identifier: MIT
//
// The daemon's desired state and its file.
//
// The state is what the daemon was asked to build: every RAM disk created
// through it (index, size, options), with resizes applied and removals
// dropped.  It is written after every successful change with
// write_file_atomic(): the file is always either the old or the new
// version, never a mix, whatever crashes in between.
//
// At start the daemon restores it (restore_ramdisks): a disk that exists
// is adopted as it is (differences are reported, nothing is changed), a
// missing one is recreated with the same index and options -- empty: RAM
// disk contents are not persisted.  Nothing is ever removed by a restore.
#pragma once

#include <cstdint>
#include <ctime>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <storctl/ramdisk.hpp>
#include <storctl/result.hpp>

#include "http.hpp"

namespace storctl::daemon {

inline constexpr int kStateVersion = 1;

struct RamdiskSpec {
	int index = 0;
	std::uint64_t size_bytes = 0;
	std::uint32_t logical_block_size = 512;
	std::optional<int> numa_node;
	bool prealloc = false;
	bool read_only = false;
	bool overcommit = false;

	bool operator==(const RamdiskSpec &) const = default;
};

RamdiskSpec spec_from_info(const RamdiskInfo &info);
RamdiskCreateOptions create_options(const RamdiskSpec &spec);

struct State {
	std::vector<RamdiskSpec> ramdisks;  ///< sorted by index, unique indexes

	const RamdiskSpec *find(int index) const;
	/// Insert or replace the entry with spec.index.
	void put(const RamdiskSpec &spec);
	/// Remove the entry for @index; false if there was none.
	bool erase(int index);

	Json to_json() const;
	/// Parse a state document.  Invalid entries are skipped and described
	/// in @problems; a document that is not a state at all is an error.
	static Result<State> from_json(const Json &j, std::vector<std::string> &problems);

	bool operator==(const State &) const = default;
};

/// Replace @path with @content atomically: a temporary file in the same
/// directory (mode 0600) is written and fsync'ed, renamed over @path, and
/// the directory is fsync'ed.  @before_rename (tests) runs after the
/// temporary file is complete, just before the rename.
Result<void> write_file_atomic(const std::string &path, std::string_view content,
			       const std::function<void()> &before_rename = {});

class StateStore {
public:
	explicit StateStore(std::string path) : path_(std::move(path)) {}

	struct Loaded {
		State state;
		bool existed = false;
		std::vector<std::string> problems;
	};

	/// Read the state file.  Missing: empty state.  Unreadable as a
	/// state: the file is renamed to "<path>.corrupt.<unix time>" (kept
	/// for the admin, never deleted) and the state is empty.  Leftover
	/// temporary files of an interrupted write are removed.
	Loaded load() const;

	/// Write @state (creating the directory if needed, mode 0700).
	Result<void> save(const State &state) const;

	const std::string &path() const { return path_; }

private:
	std::string path_;
};

struct RestoreItem {
	std::string name;
	int index = 0;
	std::string result;   ///< "adopted", "recreated", "failed"
	std::string message;
};

struct RestoreReport {
	std::time_t time = 0;
	std::string state_file;
	bool state_file_existed = false;
	std::vector<std::string> problems;  ///< state file problems
	std::vector<RestoreItem> ramdisks;

	std::size_t count(std::string_view result) const;
	Json to_json() const;
};

/// Bring the kernel to @state as far as possible without destroying
/// anything.  Never fails as a whole; every entry gets a result.
RestoreReport restore_ramdisks(const RamdiskManager &manager, const State &state);

} // namespace storctl::daemon
