// SPDX-License-Identifier: MIT
//
// Caches: validation, table building and parsing, status parsing, and
// CacheManager (create, list, info, stats, remove).
#include <storctl/cache.hpp>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <limits>

#include <storctl/size.hpp>

namespace storctl {

namespace {

constexpr std::string_view kMapperPrefix = "/dev/mapper/";
// Transient openers (udev probing a new device) get this long to go away
// before a remove calls the device busy.
constexpr auto kOpenGrace = std::chrono::milliseconds(2000);
constexpr auto kPollInterval = std::chrono::milliseconds(50);
constexpr auto kFlushPollInterval = std::chrono::milliseconds(100);
// Bytes zeroed at the start of a wb cache device (dm-writecache's
// superblock is in the first block; zero magic = start empty).
constexpr std::size_t kWbWipeBytes = 4096;

std::vector<std::string_view> split_words(std::string_view s)
{
	std::vector<std::string_view> out;
	std::size_t i = 0;
	while (i < s.size()) {
		while (i < s.size() && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n'))
			i++;
		std::size_t j = i;
		while (j < s.size() && s[j] != ' ' && s[j] != '\t' && s[j] != '\n')
			j++;
		if (j > i)
			out.push_back(s.substr(i, j - i));
		i = j;
	}
	return out;
}

// Decimal digits only (no sign, no space), fitting in T.
template <typename T>
std::optional<T> parse_decimal(std::string_view s)
{
	if (s.empty() || !std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; }))
		return std::nullopt;
	T v{};
	auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
	if (ec != std::errc() || ptr != s.data() + s.size())
		return std::nullopt;
	return v;
}

std::optional<std::int64_t> parse_signed(std::string_view s)
{
	if (s.empty())
		return std::nullopt;
	std::int64_t v = 0;
	auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
	if (ec != std::errc() || ptr != s.data() + s.size())
		return std::nullopt;
	return v;
}

bool is_power_of_two(std::uint64_t v)
{
	return v && !(v & (v - 1));
}

std::string quote(std::string_view s)
{
	return "'" + std::string(s) + "'";
}

// Error with the classification of @e but a message in our words.
Error with_message(const Error &e, std::string message)
{
	return Error{e.code, e.sys_errno, std::move(message)};
}

// "1.5 s", "60 s".
std::string seconds_text(std::chrono::milliseconds d)
{
	const auto ms = d.count();
	std::string s = std::to_string(ms / 1000);
	if (ms % 1000)
		s += "." + std::to_string((ms % 1000) / 100);
	return s + " s";
}

std::string strerror_of(const Error &e)
{
	return e.sys_errno ? std::string(std::strerror(e.sys_errno)) : e.message;
}

struct WbOption {
	std::string_view option;  // CLI option
	std::string_view key;     // table key
	std::optional<std::uint32_t> WbTunables::*field;
	std::uint32_t min;
	std::uint32_t max;
	std::string_view unit;
};

constexpr std::uint32_t kU32Max = std::numeric_limits<std::uint32_t>::max();

// In the order the kernel prints them.
const std::array<WbOption, 5> kWbOptions = {{
	{"--high-watermark", "high_watermark", &WbTunables::high_watermark, 0, 100, "percent"},
	{"--low-watermark", "low_watermark", &WbTunables::low_watermark, 0, 100, "percent"},
	{"--writeback-jobs", "writeback_jobs", &WbTunables::writeback_jobs, 1, kU32Max, ""},
	{"--autocommit-blocks", "autocommit_blocks", &WbTunables::autocommit_blocks, 1, kU32Max, ""},
	{"--autocommit-time", "autocommit_time", &WbTunables::autocommit_time, 0,
	 kWritecacheMaxAutocommitMs, "milliseconds"},
}};

std::string range_text(const WbOption &o)
{
	std::string s = "a whole number from " + std::to_string(o.min);
	if (o.max != kU32Max)
		s += " to " + std::to_string(o.max);
	else
		s += " to " + std::to_string(kU32Max);
	if (!o.unit.empty())
		s += " (" + std::string(o.unit) + ")";
	return s;
}

// Writecache options that take a value (everything else is a flag).
bool writecache_option_has_value(std::string_view key)
{
	static constexpr std::string_view with_value[] = {
		"start_sector",      "high_watermark",  "low_watermark", "writeback_jobs",
		"autocommit_blocks", "autocommit_time", "max_age",       "pause_writeback",
	};
	return std::find(std::begin(with_value), std::end(with_value), key) != std::end(with_value);
}

Error bad_table(const dm::Target &t, std::string_view why)
{
	return make_error(Errc::invalid_argument,
			  "cannot parse " + t.type + " table '" + t.params + "': " + std::string(why));
}

} // namespace

// --- basics -----------------------------------------------------------------

std::string_view to_string(CacheMode mode) noexcept
{
	switch (mode) {
	case CacheMode::wt:	return "wt";
	case CacheMode::wa:	return "wa";
	case CacheMode::wb:	return "wb";
	}
	return "?";
}

Result<CacheMode> parse_cache_mode(std::string_view text)
{
	if (text == "wt")
		return CacheMode::wt;
	if (text == "wa")
		return CacheMode::wa;
	if (text == "wb")
		return CacheMode::wb;
	return make_error(Errc::invalid_argument,
			  "unknown cache mode " + quote(text) +
			  ": expected wt (write-through), wa (write-around) or wb (write-back)");
}

std::string DevNo::str() const
{
	return std::to_string(major) + ":" + std::to_string(minor);
}

Result<DevNo> parse_devno(std::string_view text)
{
	std::size_t colon = text.find(':');
	if (colon != std::string_view::npos) {
		auto ma = parse_decimal<std::uint32_t>(text.substr(0, colon));
		auto mi = parse_decimal<std::uint32_t>(text.substr(colon + 1));
		if (ma && mi)
			return DevNo{*ma, *mi};
	}
	return make_error(Errc::invalid_argument,
			  "invalid device number " + quote(text) + ": expected MAJOR:MINOR");
}

// --- validation -------------------------------------------------------------

Result<std::string> validate_cache_name(std::string_view name)
{
	std::string_view n = name;
	if (n.starts_with(kMapperPrefix))
		n.remove_prefix(kMapperPrefix.size());
	auto bad = [&](const std::string &why) {
		return make_error(Errc::invalid_argument,
				  "invalid cache name " + quote(name) + ": " + why);
	};
	if (n.empty())
		return bad("the name must not be empty");
	if (n.size() > dm::kMaxNameLength)
		return bad("the name is too long (" + std::to_string(n.size()) +
			   " characters; device-mapper allows " +
			   std::to_string(dm::kMaxNameLength) + ")");
	if (n.find('/') != std::string_view::npos)
		return bad("the name must not contain '/'");
	if (n.find("..") != std::string_view::npos || n == ".")
		return bad("the name must not be '.' or contain '..'");
	if (std::any_of(n.begin(), n.end(),
			[](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }))
		return bad("the name must not contain spaces");
	if (n.front() == '-')
		return bad("the name must not start with '-'");
	auto allowed = [](char c) {
		return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		       c == '_' || c == '.' || c == '+' || c == ':' || c == '@' || c == '-';
	};
	if (!std::all_of(n.begin(), n.end(), allowed))
		return bad("the name may contain only letters, digits and _ . + : @ -");
	return std::string(n);
}

Result<std::string> default_cache_name(std::string_view origin_path)
{
	std::string_view p = origin_path;
	while (p.size() > 1 && p.back() == '/')
		p.remove_suffix(1);
	std::size_t slash = p.rfind('/');
	std::string_view base = slash == std::string_view::npos ? p : p.substr(slash + 1);
	auto name = validate_cache_name(std::string(kDefaultCacheNamePrefix) + std::string(base));
	if (!name)
		return make_error(Errc::invalid_argument,
				  "cannot derive a cache name from the origin " + quote(origin_path) +
				  " (" + name.error().message + "); pass --name");
	return name;
}

Result<void> validate_cache_block_size(std::uint64_t bytes, CacheMode mode)
{
	const bool wb = mode == CacheMode::wb;
	const std::uint64_t lo = wb ? kMinWbBlockSize : kMinCacheBlockSize;
	const std::uint64_t hi = wb ? kMaxWbBlockSize : kMaxCacheBlockSize;
	if (!is_power_of_two(bytes) || bytes < lo || bytes > hi)
		return make_error(Errc::invalid_argument,
				  "invalid block size " + std::to_string(bytes) + " bytes: " +
				  (wb ? "a wb (dm-writecache) block size" : "a cache block size") +
				  " must be a power of two from " + format_size(lo) + " to " +
				  format_size(hi));
	return ok();
}

Result<std::uint32_t> parse_cache_block_size(std::string_view text, CacheMode mode)
{
	auto bytes = parse_size(text);
	if (!bytes)
		return make_error(Errc::invalid_argument,
				  "invalid block size " + quote(text) + ": " + bytes.error().message);
	if (auto r = validate_cache_block_size(*bytes, mode); !r)
		return make_error(Errc::invalid_argument,
				  "invalid block size " + quote(text) + ": " +
				  r.error().message.substr(r.error().message.find(": ") + 2));
	return static_cast<std::uint32_t>(*bytes);
}

Result<void> validate_cache_policy(std::string_view name)
{
	if (std::find(kCachePolicies.begin(), kCachePolicies.end(), name) != kCachePolicies.end())
		return ok();
	std::string list;
	for (std::size_t i = 0; i < kCachePolicies.size(); i++) {
		if (i)
			list += i + 1 == kCachePolicies.size() ? " or " : ", ";
		list += kCachePolicies[i];
	}
	return make_error(Errc::invalid_argument,
			  "unknown cache policy " + quote(name) + ": expected " + list);
}

Result<PolicyTunable> parse_policy_tunable(std::string_view text)
{
	auto bad = [&](const std::string &why) {
		return make_error(Errc::invalid_argument,
				  "invalid tunable " + quote(text) + ": " + why);
	};
	std::size_t eq = text.find('=');
	if (eq == std::string_view::npos)
		return bad("expected KEY=VALUE");
	std::string_view key = text.substr(0, eq);
	std::string_view value = text.substr(eq + 1);
	if (key.empty() || !(key[0] >= 'a' && key[0] <= 'z') ||
	    !std::all_of(key.begin(), key.end(), [](char c) {
		    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
	    }))
		return bad("KEY must be lower-case letters, digits and '_', starting with a letter");
	if (key == "policy")
		return bad("use --policy to choose the policy");
	auto v = parse_decimal<std::uint32_t>(value);
	if (!v)
		return bad("VALUE must be a whole number from 0 to " + std::to_string(kU32Max));
	return PolicyTunable{std::string(key), *v};
}

Result<void> set_wb_tunable(WbTunables &t, std::string_view option, std::string_view text)
{
	for (const WbOption &o : kWbOptions) {
		if (o.option != option)
			continue;
		auto v = parse_decimal<std::uint32_t>(text);
		if (!v || *v < o.min || *v > o.max)
			return make_error(Errc::invalid_argument,
					  "invalid " + std::string(option) + " " + quote(text) +
					  ": must be " + range_text(o));
		t.*o.field = *v;
		return ok();
	}
	return make_error(Errc::internal, "unknown write-back option " + std::string(option));
}

Result<void> validate_wb_tunables(const WbTunables &t)
{
	for (const WbOption &o : kWbOptions) {
		const auto &v = t.*o.field;
		if (v && (*v < o.min || *v > o.max))
			return make_error(Errc::invalid_argument,
					  "invalid " + std::string(o.option) + " " + std::to_string(*v) +
					  ": must be " + range_text(o));
	}
	const std::uint32_t high = t.high_watermark.value_or(kWritecacheDefaultHighWatermark);
	const std::uint32_t low = t.low_watermark.value_or(kWritecacheDefaultLowWatermark);
	if (low > high)
		return make_error(Errc::invalid_argument,
				  "the low watermark (" + std::to_string(low) + "%" +
				  (t.low_watermark ? "" : ", the default") +
				  ") must not be above the high watermark (" + std::to_string(high) +
				  "%" + (t.high_watermark ? "" : ", the default") + ")");
	return ok();
}

// --- tables -----------------------------------------------------------------

std::string stor_cache_params(DevNo origin, DevNo cache, std::uint32_t block_bytes,
			      CacheMode mode, const std::optional<std::string> &policy,
			      const std::vector<PolicyTunable> &tunables)
{
	std::vector<PolicyTunable> uniq;
	for (const PolicyTunable &t : tunables) {
		auto it = std::find_if(uniq.begin(), uniq.end(),
				       [&](const PolicyTunable &u) { return u.key == t.key; });
		if (it != uniq.end())
			it->value = t.value;
		else
			uniq.push_back(t);
	}
	std::string s = origin.str() + " " + cache.str() + " " + std::to_string(block_bytes / 512) +
			" " + std::string(to_string(mode));
	const std::size_t nargs = 2 * (uniq.size() + (policy ? 1 : 0));
	if (nargs) {
		s += " " + std::to_string(nargs);
		if (policy)
			s += " policy " + *policy;
		for (const PolicyTunable &t : uniq)
			s += " " + t.key + " " + std::to_string(t.value);
	}
	return s;
}

std::string writecache_params(DevNo origin, DevNo cache, std::uint32_t block_bytes,
			      const WbTunables &t)
{
	std::string opts;
	unsigned n = 0;
	for (const WbOption &o : kWbOptions) {
		if (const auto &v = t.*o.field) {
			opts += " " + std::string(o.key) + " " + std::to_string(*v);
			n += 2;
		}
	}
	return "s " + origin.str() + " " + cache.str() + " " + std::to_string(block_bytes) + " " +
	       std::to_string(n) + opts;
}

std::string table_line(const dm::Target &t)
{
	std::string s = std::to_string(t.start) + " " + std::to_string(t.length) + " " + t.type;
	if (!t.params.empty())
		s += " " + t.params;
	return s;
}

bool is_cache_target(std::string_view type) noexcept
{
	return type == kStorCacheTarget || type == kWritecacheTarget;
}

Result<CacheTable> parse_cache_table(const dm::Target &t)
{
	if (!is_cache_target(t.type))
		return make_error(Errc::invalid_argument,
				  "'" + t.type + "' is not a cache target (stor-cache or writecache)");
	const auto w = split_words(t.params);
	CacheTable ct;
	ct.target = t.type;

	std::size_t i = 0;
	auto next_devno = [&](std::string_view what) -> Result<DevNo> {
		if (i >= w.size())
			return bad_table(t, "missing " + std::string(what));
		auto d = parse_devno(w[i++]);
		if (!d)
			return bad_table(t, "bad " + std::string(what) + " " + quote(w[i - 1]));
		return d;
	};

	if (t.type == kStorCacheTarget) {
		auto origin = next_devno("origin");
		if (!origin)
			return std::move(origin).error();
		auto cache = next_devno("cache device");
		if (!cache)
			return std::move(cache).error();
		ct.origin = *origin;
		ct.cache = *cache;
		if (i + 2 > w.size())
			return bad_table(t, "missing block size or mode");
		auto sectors = parse_decimal<std::uint32_t>(w[i++]);
		if (!sectors || !*sectors || *sectors > kMaxCacheBlockSize / 512)
			return bad_table(t, "bad block size " + quote(w[i - 1]));
		ct.block_size = *sectors * 512;
		if (w[i] == "wt")
			ct.mode = CacheMode::wt;
		else if (w[i] == "wa")
			ct.mode = CacheMode::wa;
		else
			return bad_table(t, "bad mode " + quote(w[i]));
		i++;
		if (i < w.size()) {
			auto n = parse_decimal<std::uint32_t>(w[i++]);
			if (!n || *n % 2 || i + *n != w.size())
				return bad_table(t, "bad optional arguments");
			for (; i < w.size(); i += 2) {
				if (w[i] == "policy")
					ct.policy = std::string(w[i + 1]);
				else
					ct.options.emplace_back(std::string(w[i]), std::string(w[i + 1]));
			}
		}
		return ct;
	}

	// writecache: <p|s> <origin> <cache> <block size> <#opt> <opt>...
	if (w.empty() || (w[0] != "s" && w[0] != "p"))
		return bad_table(t, "expected the cache type 'p' or 's'");
	i = 1;
	ct.mode = CacheMode::wb;
	auto origin = next_devno("origin");
	if (!origin)
		return std::move(origin).error();
	auto cache = next_devno("cache device");
	if (!cache)
		return std::move(cache).error();
	ct.origin = *origin;
	ct.cache = *cache;
	if (i >= w.size())
		return bad_table(t, "missing block size");
	auto bs = parse_decimal<std::uint32_t>(w[i++]);
	if (!bs || !is_power_of_two(*bs))
		return bad_table(t, "bad block size " + quote(w[i - 1]));
	ct.block_size = *bs;
	if (i < w.size()) {
		auto n = parse_decimal<std::uint32_t>(w[i++]);
		if (!n || i + *n != w.size())
			return bad_table(t, "bad optional arguments");
		while (i < w.size()) {
			std::string key(w[i++]);
			if (writecache_option_has_value(key)) {
				if (i >= w.size())
					return bad_table(t, "option " + quote(key) + " has no value");
				ct.options.emplace_back(key, std::string(w[i++]));
			} else {
				ct.options.emplace_back(key, "");
			}
		}
	}
	return ct;
}

// --- status -----------------------------------------------------------------

std::uint64_t StorCacheStatus::get(std::string_view name) const
{
	for (std::size_t i = 0; i < kStorCacheCounters.size(); i++)
		if (kStorCacheCounters[i] == name)
			return counters[i];
	return 0;
}

double StorCacheStatus::read_hit_ratio() const
{
	const std::uint64_t hits = counters[0], misses = counters[1];
	if (hits + misses == 0)
		return 0.0;
	return static_cast<double>(hits) / static_cast<double>(hits + misses);
}

Result<StorCacheStatus> parse_stor_cache_status(std::string_view line)
{
	const auto w = split_words(line);
	if (w.size() < kStorCacheCounters.size())
		return make_error(Errc::invalid_argument,
				  "cannot parse stor-cache status '" + std::string(line) + "': expected " +
				  std::to_string(kStorCacheCounters.size()) + " counters, got " +
				  std::to_string(w.size()));
	StorCacheStatus st;
	for (std::size_t i = 0; i < kStorCacheCounters.size(); i++) {
		auto v = parse_decimal<std::uint64_t>(w[i]);
		if (!v)
			return make_error(Errc::invalid_argument,
					  "cannot parse stor-cache status '" + std::string(line) +
					  "': bad " + std::string(kStorCacheCounters[i]) + " " + quote(w[i]));
		st.counters[i] = *v;
	}
	return st;
}

std::optional<double> WritecacheStatus::read_hit_ratio() const
{
	if (!counters)
		return std::nullopt;
	const std::uint64_t reads = (*counters)[0], hits = (*counters)[1];
	if (!reads)
		return 0.0;
	return static_cast<double>(hits) / static_cast<double>(reads);
}

Result<WritecacheStatus> parse_writecache_status(std::string_view line)
{
	const auto w = split_words(line);
	auto bad = [&](const std::string &why) {
		return make_error(Errc::invalid_argument,
				  "cannot parse writecache status '" + std::string(line) + "': " + why);
	};
	constexpr std::size_t kBase = 4, kFull = kBase + kWritecacheCounters.size();
	if (w.size() != kBase && w.size() < kFull)
		return bad("expected 4 or 14 fields, got " + std::to_string(w.size()));
	WritecacheStatus st;
	auto err = parse_signed(w[0]);
	if (!err)
		return bad("bad error indicator " + quote(w[0]));
	st.error = *err;
	std::uint64_t *base[] = {&st.total_blocks, &st.free_blocks, &st.writeback_blocks};
	for (std::size_t i = 0; i < 3; i++) {
		auto v = parse_decimal<std::uint64_t>(w[i + 1]);
		if (!v)
			return bad("bad field " + std::to_string(i + 2) + " " + quote(w[i + 1]));
		*base[i] = *v;
	}
	if (w.size() >= kFull) {
		std::array<std::uint64_t, 10> c{};
		for (std::size_t i = 0; i < c.size(); i++) {
			auto v = parse_decimal<std::uint64_t>(w[kBase + i]);
			if (!v)
				return bad("bad " + std::string(kWritecacheCounters[i]) + " " +
					   quote(w[kBase + i]));
			c[i] = *v;
		}
		st.counters = c;
	}
	return st;
}

// --- CacheManager -----------------------------------------------------------

CacheManager::CacheManager(std::unique_ptr<dm::Client> dm, std::unique_ptr<CacheSystem> sys)
	: dm_(std::move(dm)), sys_(std::move(sys))
{
}

CacheManager CacheManager::make_default(std::string sysfs_root)
{
	return CacheManager(dm::make_libdm_client(), make_cache_system(std::move(sysfs_root)));
}

Result<void> CacheManager::validate_create(const CacheCreateOptions &opts)
{
	const bool wb = opts.mode == CacheMode::wb;
	if (opts.origin.empty())
		return make_error(Errc::invalid_argument, "no origin device given (--origin)");
	if (opts.cache.empty())
		return make_error(Errc::invalid_argument, "no cache device given (--cache)");
	if (opts.name) {
		if (auto r = validate_cache_name(*opts.name); !r)
			return std::move(r).error();
	} else if (auto r = default_cache_name(opts.origin); !r) {
		return std::move(r).error();
	}
	if (opts.block_size)
		if (auto r = validate_cache_block_size(*opts.block_size, opts.mode); !r)
			return r;
	if (wb) {
		if (opts.policy)
			return make_error(Errc::invalid_argument,
					  "--policy applies to wt and wa caches only (wb uses dm-writecache)");
		if (!opts.tunables.empty())
			return make_error(Errc::invalid_argument,
					  "--tunable applies to wt and wa caches only (wb uses dm-writecache)");
		if (auto r = validate_wb_tunables(opts.wb); !r)
			return r;
	} else {
		if (opts.wb.any())
			return make_error(Errc::invalid_argument,
					  "--high-watermark, --low-watermark, --writeback-jobs, "
					  "--autocommit-blocks and --autocommit-time apply to wb caches only");
		if (opts.policy)
			if (auto r = validate_cache_policy(*opts.policy); !r)
				return r;
		std::vector<std::string> keys;
		for (const PolicyTunable &t : opts.tunables) {
			if (auto r = parse_policy_tunable(t.key + "=" + std::to_string(t.value)); !r)
				return std::move(r).error();
			if (std::find(keys.begin(), keys.end(), t.key) == keys.end())
				keys.push_back(t.key);
		}
		if (keys.size() > kMaxPolicyTunables)
			return make_error(Errc::invalid_argument,
					  "too many tunables (" + std::to_string(keys.size()) +
					  "): stor-cache accepts at most " +
					  std::to_string(kMaxPolicyTunables));
	}
	return ok();
}

Result<void> CacheManager::ensure_target(std::string_view target, std::string_view module)
{
	auto has_target = [&]() -> Result<bool> {
		auto types = dm_->target_types();
		if (!types)
			return std::move(types).error();
		return std::any_of(types->begin(), types->end(),
				   [&](const dm::TargetType &t) { return t.name == target; });
	};
	auto have = has_target();
	if (!have)
		return std::move(have).error();
	if (*have)
		return ok();
	auto loaded = sys_->load_module(std::string(module));
	if (loaded) {
		have = has_target();
		if (!have)
			return std::move(have).error();
		if (*have)
			return ok();
	}
	return make_error(Errc::unsupported,
			  "the device-mapper target '" + std::string(target) +
			  "' is not available: kernel module " + std::string(module) +
			  " is not loaded" +
			  (loaded ? std::string(" (loading it did not register the target)")
				  : " and could not be loaded (" + loaded.error().message + ")"));
}

Result<CacheInfo> CacheManager::read_cache(const std::string &name, const dm::DeviceInfo &di)
{
	auto table = dm_->table(name);
	if (!table) {
		if (table.error().code == Errc::not_found)
			return make_error(Errc::not_found, "no cache named " + quote(name));
		return std::move(table).error();
	}
	if (table->size() != 1 || !is_cache_target(table->front().type)) {
		std::string what = table->empty() ? std::string("no table")
						  : table->size() == 1
						  ? "a '" + table->front().type + "' table"
						  : "a table of " + std::to_string(table->size()) + " targets";
		return make_error(Errc::not_found,
				  "no cache named " + quote(name) + ": the device-mapper device has " +
				  what + ", not a single stor-cache or writecache target");
	}
	const dm::Target &t = table->front();
	auto ct = parse_cache_table(t);
	if (!ct)
		return with_message(ct.error(), name + ": " + ct.error().message);
	CacheInfo info;
	info.name = name;
	info.path = std::string(kMapperPrefix) + name;
	info.target = ct->target;
	info.mode = ct->mode;
	info.cache_devno = ct->cache;
	info.origin_devno = ct->origin;
	info.cache = sys_->device_path(ct->cache);
	info.origin = sys_->device_path(ct->origin);
	info.block_size = ct->block_size;
	info.size_bytes = t.length * 512;
	if (ct->target == kStorCacheTarget)
		info.policy = ct->policy.value_or(std::string(kCachePolicies[0]));
	info.options = ct->options;
	info.open_count = di.open_count;
	info.suspended = di.suspended;
	return info;
}

Result<std::pair<CacheInfo, dm::DeviceInfo>> CacheManager::lookup(std::string_view name_in)
{
	auto name = validate_cache_name(name_in);
	if (!name)
		return std::move(name).error();
	auto di = dm_->info(*name);
	if (!di)
		return std::move(di).error();
	if (!*di)
		return make_error(Errc::not_found, "no cache named " + quote(*name) +
				  " (no device-mapper device of that name)");
	auto info = read_cache(*name, **di);
	if (!info)
		return std::move(info).error();
	return std::make_pair(std::move(*info), **di);
}

Result<CacheInfo> CacheManager::create(const CacheCreateOptions &opts)
{
	if (auto r = validate_create(opts); !r)
		return std::move(r).error();
	auto name_r = opts.name ? validate_cache_name(*opts.name) : default_cache_name(opts.origin);
	if (!name_r)
		return std::move(name_r).error();
	const std::string name = *name_r;
	const bool wb = opts.mode == CacheMode::wb;

	auto origin = sys_->probe(opts.origin);
	if (!origin)
		return with_message(origin.error(), "origin " + origin.error().message);
	auto cache = sys_->probe(opts.cache);
	if (!cache)
		return with_message(cache.error(), "cache device " + cache.error().message);
	if (origin->devno == cache->devno)
		return make_error(Errc::invalid_argument,
				  "the cache device and the origin are the same device (" + opts.cache +
				  " and " + opts.origin + ", " + origin->devno.str() + ")");

	auto existing = dm_->info(name);
	if (!existing)
		return std::move(existing).error();
	if (*existing)
		return make_error(Errc::exists,
				  "a device-mapper device named " + quote(name) +
				  " already exists (choose another --name)");

	if (auto r = wb ? ensure_target(kWritecacheTarget, kWritecacheModule)
			: ensure_target(kStorCacheTarget, kStorCacheModule);
	    !r)
		return std::move(r).error();

	const std::uint32_t block =
		opts.block_size.value_or(wb ? kDefaultWbBlockSize : kDefaultCacheBlockSize);
	if (origin->size_bytes < 512 || origin->size_bytes % 512)
		return make_error(Errc::invalid_argument,
				  "origin " + opts.origin + " has an unusable size (" +
				  std::to_string(origin->size_bytes) + " bytes)");
	if (origin->size_bytes < block)
		return make_error(Errc::invalid_argument,
				  "origin " + opts.origin + " (" + format_size(origin->size_bytes) +
				  ") is smaller than one block (" + format_size(block) + ")");
	if (cache->size_bytes < block * (wb ? 2ULL : 1ULL))
		return make_error(Errc::invalid_argument,
				  "cache device " + opts.cache + " (" + format_size(cache->size_bytes) +
				  ") is too small for " + (wb ? "a write-back cache of " : "one cache block of ") +
				  format_size(block) + (wb ? " blocks" : ""));

	dm::Target target;
	target.start = 0;
	target.length = origin->size_bytes / 512;
	if (wb) {
		target.type = std::string(kWritecacheTarget);
		target.params = writecache_params(origin->devno, cache->devno, block, opts.wb);
	} else {
		target.type = std::string(kStorCacheTarget);
		target.params = stor_cache_params(origin->devno, cache->devno, block, opts.mode,
						  opts.policy, opts.tunables);
	}

	if (wb) {
		if (auto r = sys_->wipe(*cache, kWbWipeBytes); !r)
			return with_message(r.error(), "cannot prepare the cache device " + opts.cache +
					    ": " + r.error().message);
	}

	if (auto r = dm_->create(name); !r) {
		const Error &e = r.error();
		if (e.sys_errno == EEXIST)
			return with_message(e, "a device-mapper device named " + quote(name) +
					    " already exists (choose another --name)");
		return std::move(r).error();
	}

	// From here on a failure removes the half-created device again.
	auto rollback = [&](Error e) -> Error {
		if (auto r = dm_->remove(name, false); !r)
			e.message += "; the half-created device " + name +
				     " could not be removed: " + r.error().message;
		return e;
	};

	if (auto r = dm_->load(name, {target}); !r) {
		const Error &e = r.error();
		const std::string line = table_line(target);
		switch (e.sys_errno) {
		case EINVAL:
			return rollback(with_message(e, "the kernel rejected the table '" + line +
						     "' (the reason is in the kernel log: dmesg); nothing was created"));
		case EBUSY:
			return rollback(with_message(e, "the cache or origin device became busy (" +
						     opts.cache + ", " + opts.origin +
						     "); nothing was created"));
		case ENOMEM:
			return rollback(with_message(e, "not enough kernel memory for the cache table '" +
						     line + "'; nothing was created"));
		default:
			return rollback(with_message(e, e.message + " (table '" + line +
						     "'); nothing was created"));
		}
	}
	if (auto r = dm_->resume(name); !r)
		return rollback(with_message(r.error(), r.error().message + "; nothing was created"));

	auto di = dm_->info(name);
	if (!di || !*di)
		return rollback(di ? make_error(Errc::internal, name + " vanished after creation")
				   : std::move(di).error());
	auto info = read_cache(name, **di);
	if (!info)
		return rollback(std::move(info).error());
	return info;
}

Result<std::vector<CacheInfo>> CacheManager::list()
{
	auto names = dm_->list_names();
	if (!names)
		return std::move(names).error();
	std::sort(names->begin(), names->end());
	std::vector<CacheInfo> caches;
	for (const std::string &name : *names) {
		auto di = dm_->info(name);
		if (!di)
			return std::move(di).error();
		if (!*di || !(*di)->live_table)
			continue;  // removed meanwhile, or no table yet
		auto table = dm_->table(name);
		if (!table) {
			if (table.error().code == Errc::not_found)
				continue;
			return std::move(table).error();
		}
		if (table->size() != 1 || !is_cache_target(table->front().type))
			continue;
		auto info = read_cache(name, **di);
		if (!info) {
			if (info.error().code == Errc::not_found)
				continue;
			return std::move(info).error();
		}
		caches.push_back(std::move(*info));
	}
	return caches;
}

Result<CacheInfo> CacheManager::info(std::string_view name)
{
	auto r = lookup(name);
	if (!r)
		return std::move(r).error();
	return std::move(r->first);
}

Result<CacheStats> CacheManager::stats(std::string_view name)
{
	auto r = lookup(name);
	if (!r)
		return std::move(r).error();
	CacheStats st;
	st.info = std::move(r->first);
	auto status = dm_->status(st.info.name);
	if (!status)
		return std::move(status).error();
	if (status->size() != 1 || status->front().type != st.info.target)
		return make_error(Errc::kernel_failure,
				  "unexpected status of " + st.info.name + " (its table changed?)");
	const std::string &line = status->front().params;
	if (st.info.target == kStorCacheTarget) {
		auto s = parse_stor_cache_status(line);
		if (!s)
			return with_message(s.error(), st.info.name + ": " + s.error().message);
		st.stor_cache = *s;
	} else {
		auto s = parse_writecache_status(line);
		if (!s)
			return with_message(s.error(), st.info.name + ": " + s.error().message);
		st.writecache = *s;
	}
	return st;
}

Result<void> CacheManager::clear_stats(std::string_view name)
{
	auto r = lookup(name);
	if (!r)
		return std::move(r).error();
	auto m = dm_->message(r->first.name, "clear_stats");
	if (!m)
		return with_message(m.error(), "cannot clear the statistics of " + r->first.name + ": " +
				    m.error().message);
	return ok();
}

Result<WritecacheStatus> CacheManager::writecache_status(const std::string &name)
{
	auto status = dm_->status(name);
	if (!status)
		return std::move(status).error();
	if (status->size() != 1 || status->front().type != kWritecacheTarget)
		return make_error(Errc::kernel_failure,
				  "unexpected status of " + name + " (its table changed?)");
	return parse_writecache_status(status->front().params);
}

// Write back everything; returns the number of blocks that were dirty.
// @removing: the messages say what a failed removal left (nothing removed);
// otherwise (flush()) that the cache stays as it is.
Result<std::uint64_t> CacheManager::flush_writecache(const CacheInfo &info,
						      std::chrono::milliseconds timeout,
						      bool removing)
{
	const std::string &name = info.name;
	const std::string what = (removing ? "cannot remove " : "cannot flush ") + name;
	const std::string keep =
		removing ? "; nothing was removed (the data is still on the cache device " +
				   info.cache + ")"
			 : "; the dirty data stays on the cache device " + info.cache;
	auto st = writecache_status(name);
	if (!st)
		return std::move(st).error();
	const std::uint64_t dirty = st->dirty_blocks();
	auto write_error = [&](std::int64_t err) {
		const int e = static_cast<int>(err < 0 ? -err : err);
		return Error{Errc::io_error, e,
			     what + ": dm-writecache reports a write error (" +
			     std::strerror(e) + "), " + std::to_string(dirty) +
			     " dirty blocks cannot be written back to the origin " + info.origin + keep};
	};
	if (st->error)
		return write_error(st->error);

	if (auto r = dm_->message(name, "flush"); !r) {
		const Error &e = r.error();
		if (e.sys_errno == EIO) {
			auto now = writecache_status(name);
			return Error{Errc::io_error, EIO,
				     what + ": writing back " +
				     std::to_string(now ? now->dirty_blocks() : dirty) +
				     " dirty blocks to the origin " + info.origin +
				     " failed (I/O error)" + keep};
		}
		return with_message(e, what + ": flushing failed: " + strerror_of(e) + keep);
	}

	const auto deadline = sys_->now() + timeout;
	for (;;) {
		st = writecache_status(name);
		if (!st)
			return std::move(st).error();
		if (st->error)
			return write_error(st->error);
		if (st->dirty_blocks() == 0 && st->writeback_blocks == 0)
			return dirty;
		if (sys_->now() >= deadline)
			return Error{Errc::busy, 0,
				     what + ": " + std::to_string(st->dirty_blocks()) +
				     " blocks were still dirty after " + seconds_text(timeout) +
				     " of write-back" + keep +
				     (removing ? "; try again or raise --timeout" : "")};
		sys_->sleep(kFlushPollInterval);
	}
}

Result<std::uint64_t> CacheManager::flush(std::string_view name, std::chrono::milliseconds timeout)
{
	auto r = lookup(name);
	if (!r)
		return std::move(r).error();
	if (r->first.mode != CacheMode::wb)
		return make_error(Errc::invalid_argument,
				  "cannot flush " + r->first.name + ": it is a " +
				  std::string(to_string(r->first.mode)) +
				  " cache; only wb caches hold dirty data");
	return flush_writecache(r->first, timeout, false);
}

Result<CacheRemoval> CacheManager::remove_in_place(const CacheInfo &info,
						   const dm::DeviceInfo &di,
						   const CacheRemoveOptions &opts)
{
	const std::string &name = info.name;
	const bool wb = info.mode == CacheMode::wb;
	const bool open = di.open_count > 0;
	CacheRemoval out;
	out.name = name;
	out.mode = info.mode;

	if (wb) {
		auto n = flush_writecache(info, opts.flush_timeout, true);
		if (!n)
			return std::move(n).error();
		out.written_back_blocks = *n;
		// Anything written between the flush and the suspend is written
		// back by the suspend itself.
		if (auto r = dm_->message(name, "flush_on_suspend"); !r)
			return with_message(r.error(), "cannot remove " + name + ": " +
					    r.error().message + "; nothing was removed");
	}

	const dm::Target linear{0, info.size_bytes / 512, "linear", info.origin_devno.str() + " 0"};
	if (open) {
		// --force: keep the device, now mapping the origin directly.
		if (auto r = dm_->load(name, {linear}); !r)
			return with_message(r.error(), "cannot remove " + name + ": " +
					    r.error().message + "; nothing was removed");
	}
	if (wb || open) {
		if (auto r = dm_->suspend(name); !r) {
			if (open)
				(void)dm_->clear_inactive(name);
			return with_message(r.error(), "cannot remove " + name + ": " +
					    r.error().message + "; nothing was removed");
		}
	}
	auto undo = [&](Error e) -> Error {
		if (open)
			(void)dm_->clear_inactive(name);
		if (auto r = dm_->resume(name); !r)
			e.message += "; " + name + " could not be resumed: " + r.error().message;
		return e;
	};
	if (wb) {
		auto st = writecache_status(name);
		if (!st)
			return undo(std::move(st).error());
		if (st->error || st->dirty_blocks()) {
			const int e = static_cast<int>(st->error < 0 ? -st->error : st->error);
			return undo(Error{Errc::io_error, e,
					  "cannot remove " + name + ": " +
					  std::to_string(st->dirty_blocks()) +
					  " blocks are still dirty after the final write-back" +
					  (e ? std::string(" (") + std::strerror(e) + ")" : "") +
					  "; nothing was removed"});
		}
	}
	if (open) {
		if (auto r = dm_->resume(name); !r)
			return with_message(r.error(), "cannot remove " + name + ": " +
					    r.error().message);
		if (auto r = dm_->remove(name, true); !r)
			return with_message(r.error(), name + " now maps the origin " + info.origin +
					    " directly, but scheduling its removal failed: " +
					    r.error().message);
		auto after = dm_->info(name);
		out.deferred = after && *after;
		return out;
	}
	if (auto r = dm_->remove(name, false); !r) {
		Error e = r.error();
		if (e.sys_errno == EBUSY)
			e = with_message(e, "cannot remove " + name +
					 ": it was opened meanwhile; nothing was removed");
		return wb ? undo(std::move(e)) : std::move(e);
	}
	return out;
}

Result<CacheRemoval> CacheManager::remove(std::string_view name_in, const CacheRemoveOptions &opts)
{
	auto found = lookup(name_in);
	if (!found)
		return std::move(found).error();
	auto [info, di] = std::move(*found);
	const std::string &name = info.name;

	if (di.suspended)
		return make_error(Errc::busy, "cannot remove " + name +
				  ": it is suspended (resume it first: dmsetup resume " + name + ")");

	// udev opens new and changed devices briefly: give such openers time.
	const auto deadline = sys_->now() + kOpenGrace;
	while (di.open_count > 0 && sys_->now() < deadline) {
		sys_->sleep(kPollInterval);
		auto again = dm_->info(name);
		if (!again)
			return std::move(again).error();
		if (!*again)
			return make_error(Errc::not_found, "no cache named " + quote(name) +
					  " (it was removed meanwhile)");
		di = **again;
	}
	if (di.open_count > 0 && !opts.force) {
		auto mnt = sys_->mount_point(DevNo{di.major, di.minor});
		std::string why = mnt ? "it is mounted on " + *mnt
				      : "it is open (" + std::to_string(di.open_count) + " opener" +
					(di.open_count == 1 ? "" : "s") + ")";
		return make_error(Errc::busy,
				  "cannot remove " + name + ": " + why +
				  "; unmount or close it, or use --force to remap it to the origin " +
				  info.origin + " and remove it when it is closed");
	}
	return remove_in_place(info, di, opts);
}

} // namespace storctl
