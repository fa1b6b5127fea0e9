/* test_program.c: the command table agrees with itself and with the templates: every
 * kind has exactly one row, every name and alias parses back to its row, confirmable
 * commands carry out something, coordinator and partnership flags are where SPEC §2 puts
 * them, and every template a row names is a kind of mail whose shipped file uses only
 * the variables its sender provides. Run from the top of the checkout (templates/). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cmocka.h>

#include "cmd.h"
#include "program.h"
#include "tmpl.h"
#include "util.h"

static void
test_one_row_per_kind(void **state)
{
	for (int k = CMD_HELP; k < CMD_NKINDS; k++) {
		int rows = 0;

		for (size_t i = 0; i < ncommands; i++)
			rows += commands[i].kind == (enum cmd_kind)k;
		if (rows != 1)
			fail_msg("kind %d has %d rows in commands[]", k, rows);
	}
	assert_int_equal(ncommands, CMD_NKINDS - 1);
	assert_null(command_of(CMD_UNKNOWN));
}

static void
expect_parses(const char *subject, enum cmd_kind kind)
{
	struct cmd c;

	cmd_parse(subject, &c);
	if (c.kind != kind)
		fail_msg("\"%s\" parsed as %s, not %s", subject, cmd_name(c.kind), cmd_name(kind));
	cmd_free(&c);
}

static void
test_names_parse_back(void **state)
{
	for (size_t i = 0; i < ncommands; i++) {
		const struct command *row = &commands[i];
		char s[128];

		expect_parses(row->name, row->kind);
		snprintf(s, sizeof(s), "Re: [ILN] %s", row->name);
		expect_parses(s, row->kind);
		for (const char *a = row->aliases; *a; a += strspn(a, " ")) {
			size_t n = strcspn(a, " ");

			snprintf(s, sizeof(s), "%.*s", (int)n, a);
			expect_parses(s, row->kind);
			a += n;
		}
		assert_ptr_equal(command_by_name(row->name), row);
		assert_string_equal(cmd_name(row->kind), row->name);
	}
}

static void
test_flags(void **state)
{
	static const enum cmd_kind coordinator[] = {
		CMD_ROUND_OPEN, CMD_MATCH, CMD_APPROVE, CMD_TOPIC, CMD_REPORTS, CMD_STATS,
		CMD_EXPORT,
	};
	static const enum cmd_kind confirmed[] = {
		CMD_SIGNUP, CMD_WITHDRAW, CMD_DELETE, CMD_CHANGE, CMD_SUBSCRIBE, CMD_DISSOLVE,
	};

	for (size_t i = 0; i < ncommands; i++) {
		const struct command *row = &commands[i];
		bool coord = false, conf = false;

		for (size_t k = 0; k < nitems(coordinator); k++)
			coord |= coordinator[k] == row->kind;
		for (size_t k = 0; k < nitems(confirmed); k++)
			conf |= confirmed[k] == row->kind;
		assert_non_null(row->handle);
		if (coord != !!(row->flags & CMD_COORDINATOR))
			fail_msg("%s: coordinator flag", row->name);
		if (conf != !!(row->flags & CMD_CONFIRMED))
			fail_msg("%s: confirmation flag", row->name);
		if (conf != (row->confirmed != NULL))
			fail_msg("%s: a confirmed handler exactly when it needs confirmation",
				 row->name);
	}
}

static void
test_templates(void **state)
{
	struct tmpl_set *set;
	struct buf problems;
	char err[512];

	for (size_t i = 0; i < ncommands; i++)
		for (const char *s = commands[i].templates; *s; s += strspn(s, " ")) {
			char name[64];
			size_t n = strcspn(s, " ");

			snprintf(name, sizeof(name), "%.*s", (int)n, s);
			if (mail_kind_find(name) == NULL)
				fail_msg("%s names %s, which is not in mail_kinds[]", commands[i].name,
					 name);
			s += n;
		}
	set = tmpl_load("templates", err, sizeof(err));
	if (set == NULL)
		fail_msg("templates: %s", err);
	buf_init(&problems, 0);
	if (program_check_templates(set, "templates", &problems) != 0)
		fail_msg("%s", problems.data);
	buf_free(&problems);
	tmpl_free(set);
}

static int
teardown(void **state)
{
	cmd_cleanup();
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_one_row_per_kind),
		cmocka_unit_test(test_names_parse_back),
		cmocka_unit_test(test_flags),
		cmocka_unit_test(test_templates),
	};

	return cmocka_run_group_tests(tests, NULL, teardown);
}
