// SPDX-License-Identifier: MIT
// Small helpers shared by the unit tests.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <system_error>

namespace storctl::test {

/// @s in double quotes with non-printable bytes escaped (for test names).
inline std::string quoted(std::string_view s)
{
	static const char hex[] = "0123456789abcdef";
	std::string out = "\"";
	for (char ch : s) {
		auto c = static_cast<unsigned char>(ch);
		if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
			out += ch;
		} else {
			out += "\\x";
			out += hex[c >> 4];
			out += hex[c & 15];
		}
	}
	return out + "\"";
}

/// A fresh directory under $TMPDIR (or /tmp), removed with its contents.
class TempDir {
public:
	TempDir()
	{
		const char *base = std::getenv("TMPDIR");
		std::string tmpl = std::string(base && *base ? base : "/tmp") + "/storctl-test.XXXXXX";
		if (char *p = ::mkdtemp(tmpl.data()))
			path_ = p;
	}
	~TempDir()
	{
		std::error_code ec;
		if (!path_.empty())
			std::filesystem::remove_all(path_, ec);
	}
	TempDir(const TempDir &) = delete;
	TempDir &operator=(const TempDir &) = delete;

	const std::filesystem::path &path() const { return path_; }
	std::string str() const { return path_.string(); }

	/// Create (or overwrite) a file relative to the directory, with parents.
	std::filesystem::path write(const std::string &rel, const std::string &content) const
	{
		auto p = path_ / rel;
		std::filesystem::create_directories(p.parent_path());
		std::ofstream(p) << content;
		return p;
	}
	std::filesystem::path mkdir(const std::string &rel) const
	{
		auto p = path_ / rel;
		std::filesystem::create_directories(p);
		return p;
	}

private:
	std::filesystem::path path_;
};

} // namespace storctl::test
