/* cmd.h: the email commands (SPEC §2) and the command in a Subject line. Every command is
 * one row of the table `commands[]` (program.c): its words, what its argument is, its
 * handler, whether it is for coordinators, needs confirmation or a partnership, and the
 * templates it sends. cmd_parse() strips reply/forward prefixes in many languages ("Re:",
 * "AW:", "回复：", "Re[2]:") and [tags], then finds the command's words in that table or
 * in any loaded language set's [commands] (words.h), ignoring case and accents
 * ("INSCRIPCIÓN" = "inscripcion"). struct cmd's strings belong to it: cmd_free() frees them. */
#ifndef ILN_CMD_H
#define ILN_CMD_H

enum cmd_kind {
	CMD_UNKNOWN,
	CMD_HELP,
	CMD_SIGNUP,
	CMD_CONFIRM,
	CMD_UPDATE,
	CMD_SHOW,
	CMD_STATUS,
	CMD_WITHDRAW,
	CMD_DISSOLVE,
	CMD_PROBLEM,
	CMD_CONTINUE,
	CMD_CONCLUDE,
	CMD_DELETE,
	CMD_CHANGE,
	CMD_SUBSCRIBE,
	CMD_UNSUBSCRIBE,
	CMD_ROUND_OPEN,
	CMD_MATCH,
	CMD_APPROVE,
	CMD_TOPIC,
	CMD_TOPICS,
	CMD_REPORTS,
	CMD_STATS,
	CMD_EXPORT,
	CMD_NKINDS              /* not a command: the number of kinds */
};

/* What follows the command word in the Subject. */
enum cmd_arg {
	CMD_ARG_TEXT,           /* the rest of the Subject, cleaned */
	CMD_ARG_TOKEN,          /* its first token only (CONFIRM <token>) */
	CMD_ARG_ADDRESS,        /* its first address-like word (CHANGE <address>) */
};

/* Flags of a command. */
#define CMD_COORDINATOR 0x1     /* for configured, authenticated coordinators (SPEC §6) */
#define CMD_CONFIRMED   0x2     /* takes effect only when a token sent to the address
				 * comes back (double opt-in) */
#define CMD_PARTNERSHIP 0x4     /* for a participant with an active partnership */

struct program;
struct program_in;
struct cmd;

struct command {
	enum cmd_kind kind;
	const char *name;       /* "SIGNUP", "ROUND OPEN": the Subject's words */
	const char *aliases;    /* other names, space-separated ("JOIN APPLY"), or "" */
	enum cmd_arg arg;
	unsigned flags;
	/* the command's effect, inside the inbound transaction; 0, or -1 on a store error */
	int (*handle)(struct program *p, struct program_in *in, const struct cmd *c);
	/* CMD_CONFIRMED: what a valid token for it carries out, with the payload handle
	 * stored in the token */
	int (*confirmed)(struct program *p, struct program_in *in, const char *payload);
	const char *templates;  /* every template it may send, space-separated */
};

/* The table (program.c): one row per kind from CMD_HELP to CMD_NKINDS - 1. */
extern const struct command commands[];
extern const size_t ncommands;
/* command_of: the row of a kind; NULL for CMD_UNKNOWN. */
const struct command *command_of(enum cmd_kind k);
/* command_by_name: the row whose name is name (case-insensitive), or NULL. */
const struct command *command_by_name(const char *name);

#define CMD_WORD_MAX 40         /* bytes, whole UTF-8 characters */
#define CMD_ARG_MAX 200

struct cmd {
	enum cmd_kind kind;
	/* The command word as written ("Join", "round open"), or the first word of an unknown
	 * subject; no control characters, at most CMD_WORD_MAX bytes. */
	char *word;
	/* What follows the command, trimmed, no control characters, white space runs as one
	 * space, at most CMD_ARG_MAX bytes; "" when none. CMD_ARG_TOKEN: only the first token
	 * after the word. CMD_ARG_ADDRESS: the first address-like word (a@b), or "" when
	 * there is none. */
	char *arg;
};

/* Always fills out (free it with cmd_free). Returns 0, or -1 when subject (NULL counts) is
 * not valid UTF-8; then kind is CMD_UNKNOWN and word and arg are "". An empty subject, or
 * one that is only prefixes, is CMD_UNKNOWN. Compiles its patterns on first use (fatalx if
 * that fails); not thread-safe. */
int cmd_parse(const char *subject, struct cmd *out);
void cmd_free(struct cmd *c);
/* The command's name from the table: "SIGNUP", "ROUND OPEN", ...; "UNKNOWN" for
 * CMD_UNKNOWN or a kind without a row. */
const char *cmd_name(enum cmd_kind k);
/* cmd_check_words: every phrase of the loaded sets' [commands] that names two different
 * commands (counting the English names and aliases), or is longer than a command may be,
 * one line each into problems (for check-config). Returns how many. */
struct buf;
int cmd_check_words(struct buf *problems);
/* Frees the compiled patterns (they are compiled again when needed). */
void cmd_cleanup(void);

#endif
