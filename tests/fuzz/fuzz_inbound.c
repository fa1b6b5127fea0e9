/* fuzz_inbound.c: libFuzzer harness for the inbound path: msg_parse(),
 * msg_is_automated() and msg_free() on arbitrary bytes. Nothing persists between runs. */
#include <stddef.h>
#include <stdint.h>

#include "msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
const char *__asan_default_options(void);

/* ASan's default 256 MiB quarantine alone would trip -rss_limit_mb=256. */
const char *
__asan_default_options(void)
{
	return "quarantine_size_mb=32";
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char why[128];
	const char *reason;
	struct msg *m;

	m = msg_parse((const char *)data, size, why, sizeof(why));
	(void)msg_is_automated(m, "iln@example.org", &reason);
	msg_free(m);
	return 0;
}
