/* test_net.c: the loopback rule, dialling and deadlines (net.c), and the rules the
 * transports share about TLS (tls_verify.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net.h"
#include "tls_verify.h"
#include "util.h"

static void
test_addr_loopback(void **state)
{
	static const struct { const char *addr; bool loopback; } cases[] = {
		{ "127.0.0.1", true }, { "127.255.3.4", true }, { "126.255.255.255", false },
		{ "128.0.0.1", false }, { "10.0.0.1", false }, { "0.0.0.0", false },
		{ "::1", true }, { "::", false }, { "::2", false },
		{ "::ffff:127.0.0.1", false }, { "fe80::1", false },
	};

	for (size_t i = 0; i < nitems(cases); i++) {
		struct sockaddr_storage ss;

		memset(&ss, 0, sizeof(ss));
		if (strchr(cases[i].addr, ':')) {
			struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

			s6->sin6_family = AF_INET6;
			assert_int_equal(inet_pton(AF_INET6, cases[i].addr, &s6->sin6_addr), 1);
		} else {
			struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

			s4->sin_family = AF_INET;
			assert_int_equal(inet_pton(AF_INET, cases[i].addr, &s4->sin_addr), 1);
		}
		if (net_addr_loopback((struct sockaddr *)&ss) != cases[i].loopback)
			fail_msg("%s: want %d", cases[i].addr, cases[i].loopback);
	}
	assert_true(net_host_loopback("127.0.0.1"));
	assert_true(net_host_loopback("::1"));
	assert_false(net_host_loopback("192.0.2.1"));
}

static void
test_dial(void **state)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t sl = sizeof(sa);
	char err[256] = "", host[] = "127.0.0.1";
	int lfd, fd, port;

	lfd = socket(AF_INET, SOCK_STREAM, 0);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(lfd, 1), 0);
	assert_int_equal(getsockname(lfd, (struct sockaddr *)&sa, &sl), 0);
	port = ntohs(sa.sin_port);

	fd = net_dial(host, port, 2, "x_tls = none", err, sizeof(err));
	assert_true(fd >= 0);
	close(fd);
	close(lfd);
	/* nobody listens there now */
	assert_int_equal(net_dial(host, port, 2, NULL, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "127.0.0.1:"));
	assert_int_equal(net_dial("192.0.2.1", 25, 2, "x_tls = none", err, sizeof(err)), -1);
	assert_string_equal(err, "192.0.2.1: x_tls = none is only allowed to a loopback address");
}

static void
test_deadline(void **state)
{
	struct timespec d;
	int p[2], left;

	net_deadline(&d, 1500);
	left = net_ms_left(&d);
	assert_true(left > 1000 && left <= 1500);
	net_deadline(&d, -5);
	assert_int_equal(net_ms_left(&d), 0);

	assert_int_equal(pipe(p), 0);
	net_deadline(&d, 30);
	assert_int_equal(net_wait(p[0], POLLIN, &d), -1);       /* nothing to read: timed out */
	net_deadline(&d, 1000);
	assert_int_equal(net_wait(p[1], POLLOUT, &d), 0);
	assert_int_equal(write(p[1], "x", 1), 1);
	assert_int_equal(net_wait(p[0], POLLIN, &d), 0);
	close(p[0]);
	close(p[1]);
}

static void
test_tls_rules(void **state)
{
	static const struct { const char *host; bool ip; } cases[] = {
		{ "127.0.0.1", true }, { "::1", true }, { "2001:db8::25", true },
		{ "mail.example.org", false }, { "localhost", false }, { "1.2.3", false },
		{ "[::1]", false }, { "", false },
	};
	char err[256] = "";

	for (size_t i = 0; i < nitems(cases); i++)
		if (tls_host_is_ip(cases[i].host) != cases[i].ip)
			fail_msg("%s: want %d", cases[i].host, cases[i].ip);
	assert_null(tls_ca_file(NULL));
	assert_null(tls_ca_file(""));
	assert_string_equal(tls_ca_file("/etc/ca.pem"), "/etc/ca.pem");
	assert_int_equal(tls_verify_chain(NULL, 0, "mail.example.org", NULL, err, sizeof(err)), -1);
	assert_string_equal(err, "mail.example.org: server sent no certificate");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_addr_loopback),
		cmocka_unit_test(test_dial),
		cmocka_unit_test(test_deadline),
		cmocka_unit_test(test_tls_rules),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
