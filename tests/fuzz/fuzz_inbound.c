/* fuzz_inbound.c: libFuzzer harness for the inbound path: msg_parse(),
 * msg_is_automated() and msg_free() on arbitrary bytes. Nothing persists between runs. */
#include <stddef.h>
#include <stdint.h>

#include "msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

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
