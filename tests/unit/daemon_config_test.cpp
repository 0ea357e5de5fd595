// SPDX-License-Identifier: MIT
//
// storctld settings: config file syntax, command line, precedence,
// defaults.
#include <gtest/gtest.h>

#include "config.hpp"

using namespace storctl;
using namespace storctl::daemon;

TEST(DaemonConfig, ParsesEveryKey)
{
	auto s = parse_config(
		"# storctld settings\n"
		"\n"
		"listen = 127.0.0.1:9118\n"
		"  listen=[::1]:9119  \n"
		"token-file = /etc/storctl/token\n"
		"tls-cert = /etc/storctl/cert.pem\n"
		"tls-key = /etc/storctl/key.pem\n"
		"state-file = /var/lib/storctl/state.json\n"
		"pid-file = /run/storctld.pid\n"
		"threads = 8\n"
		"connection-limit = 100\n"
		"request-timeout = 5\n"
		"stop-flush-timeout = 0\n"
		"body-limit = 1M\n"
		"log-level = debug\r\n",
		"test.conf");
	ASSERT_TRUE(s) << s.error().message;
	EXPECT_EQ(s->listen, (std::vector<std::string>{"127.0.0.1:9118", "[::1]:9119"}));
	EXPECT_EQ(s->token_file, "/etc/storctl/token");
	EXPECT_EQ(s->tls_cert, "/etc/storctl/cert.pem");
	EXPECT_EQ(s->tls_key, "/etc/storctl/key.pem");
	EXPECT_EQ(s->state_file, "/var/lib/storctl/state.json");
	EXPECT_EQ(s->pid_file, "/run/storctld.pid");
	EXPECT_EQ(s->threads, 8u);
	EXPECT_EQ(s->connection_limit, 100u);
	EXPECT_EQ(s->request_timeout, 5u);
	EXPECT_EQ(s->stop_flush_timeout, 0u);
	EXPECT_EQ(s->body_limit, 1024u * 1024);
	EXPECT_EQ(s->log_level, LogLevel::debug);
}

TEST(DaemonConfig, ErrorsNameTheLine)
{
	struct Case {
		const char *text, *substr;
	} cases[] = {
		{"listen 127.0.0.1:1\n", "test.conf:1: expected 'key = value'"},
		{"\n\nport = 1\n", "test.conf:3: unknown key 'port'"},
		{"threads = 0\n", "test.conf:1: invalid threads '0'"},
		{"threads = 65\n", "invalid threads"},
		{"threads = four\n", "invalid threads"},
		{"request-timeout = 3601\n", "invalid request-timeout"},
		{"request-timeout = 0\n", "invalid request-timeout"},
		{"stop-flush-timeout = 3601\n", "invalid stop-flush-timeout '3601': expected a number from 0 to 3600"},
		{"stop-flush-timeout = -1\n", "invalid stop-flush-timeout"},
		{"connection-limit = -1\n", "invalid connection-limit"},
		{"body-limit = 17M\n", "larger than 16M"},
		{"body-limit = 1.5K\n", "body-limit"},
		{"log-level = loud\n", "invalid log-level 'loud'"},
		{"state-file =\n", "state-file needs a path"},
		{"threads = 2\nthreads = 3\n", "test.conf:2: 'threads' given twice"},
		{"listen =\n", "listen needs ADDR:PORT"},
	};
	for (const Case &c : cases) {
		auto s = parse_config(c.text, "test.conf");
		ASSERT_FALSE(s) << c.text;
		EXPECT_NE(s.error().message.find(c.substr), std::string::npos)
			<< "'" << s.error().message << "' lacks '" << c.substr << "'";
	}
}

TEST(DaemonConfig, CommandLine)
{
	auto cl = parse_command_line({"--listen", "127.0.0.1:1", "--listen=[::1]:2", "--foreground",
				      "--config", "/x.conf", "--threads=2", "--log-level", "warning"});
	ASSERT_TRUE(cl) << cl.error().message;
	EXPECT_EQ(cl->settings.listen, (std::vector<std::string>{"127.0.0.1:1", "[::1]:2"}));
	EXPECT_TRUE(cl->foreground);
	EXPECT_EQ(cl->config_path, "/x.conf");
	EXPECT_EQ(cl->settings.threads, 2u);
	EXPECT_EQ(cl->settings.log_level, LogLevel::warning);
	EXPECT_FALSE(cl->help);

	EXPECT_TRUE(parse_command_line({"-h"})->help);
	EXPECT_TRUE(parse_command_line({"--version"})->version);

	for (std::vector<std::string> bad : std::vector<std::vector<std::string>>{
		     {"--listen"}, {"--bogus", "1"}, {"stray"}, {"--threads", "x"}, {"--config="},
		     {"-x"}}) {
		auto r = parse_command_line(bad);
		EXPECT_FALSE(r) << bad[0];
		if (!r) {
			EXPECT_EQ(r.error().code, Errc::invalid_argument);
		}
	}
}

TEST(DaemonConfig, CommandLineWins)
{
	auto file = parse_config("listen = 0.0.0.0:1\nlisten = 0.0.0.0:2\nthreads = 8\n"
				 "token-file = /file/token\nlog-level = debug\n", "f");
	ASSERT_TRUE(file);
	auto cl = parse_command_line({"--listen", "127.0.0.1:3", "--threads", "2"});
	ASSERT_TRUE(cl);
	Settings m = merge_settings(*file, cl->settings);
	EXPECT_EQ(m.listen, (std::vector<std::string>{"127.0.0.1:3"}));
	EXPECT_EQ(m.threads, 2u);
	EXPECT_EQ(m.token_file, "/file/token");  // not given on the command line
	EXPECT_EQ(m.log_level, LogLevel::debug);

	// Without --listen the file's addresses stay.
	Settings m2 = merge_settings(*file, parse_command_line({})->settings);
	EXPECT_EQ(m2.listen.size(), 2u);
}

TEST(DaemonConfig, Defaults)
{
	EffectiveSettings e = effective_settings(Settings{});
	EXPECT_TRUE(e.default_listen);
	EXPECT_EQ(e.listen, (std::vector<std::string>{"127.0.0.1:9118", "[::1]:9118"}));
	EXPECT_FALSE(e.token_file);
	EXPECT_EQ(e.state_file, "/var/lib/storctl/state.json");
	EXPECT_EQ(e.body_limit, 64u * 1024);
	EXPECT_EQ(e.threads, 4u);
	EXPECT_EQ(e.log_level, LogLevel::info);

	Settings s;
	s.listen = {"10.0.0.1:1"};
	EXPECT_FALSE(effective_settings(s).default_listen);
	EXPECT_EQ(effective_settings(s).stop_flush_timeout, 60u);

	// The command line wins over the file.
	Settings file;
	file.stop_flush_timeout = 10;
	auto sf = parse_command_line({"--stop-flush-timeout=300"});
	ASSERT_TRUE(sf) << sf.error().message;
	EXPECT_EQ(effective_settings(merge_settings(file, sf->settings)).stop_flush_timeout, 300u);
	EXPECT_EQ(effective_settings(merge_settings(file, Settings{})).stop_flush_timeout, 10u);
}

TEST(DaemonConfig, UsageMentionsEveryOption)
{
	const std::string u = usage_text();
	for (const char *k : {"--config", "--listen", "--token-file", "--tls-cert", "--tls-key",
			      "--state-file", "--pid-file", "--threads", "--connection-limit",
			      "--request-timeout", "--stop-flush-timeout", "--body-limit", "--log-level", "--foreground",
			      "--version", "--help"})
		EXPECT_NE(u.find(k), std::string::npos) << k;
}
