/* Command-line options: one table per command, one parser for all.
 *
 * A command describes its options as an array of wp_opt ending with
 * WP_OPT_END. wp_opt_parse walks argv with getopt_long, converts each value
 * by its kind (integers and sizes range-checked, no empty values, no
 * trailing junk, no wrap-around), refuses an option given twice unless it
 * may repeat, and records which options were given so that rules between
 * them (wp_opt_check) can be checked afterwards. It never prints: a bad
 * argument comes back as WP_E_USAGE with the message in the wp_error, in
 * one shape for every command.
 *
 * Ownership: the table and the targets its entries point to belong to the
 * caller; string values point into argv. */
#ifndef WALPULL_OPT_H
#define WALPULL_OPT_H

#include "walpull/error.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

typedef enum wp_opt_kind {
    WP_OPT_FLAG,   /* bool *: set to true */
    WP_OPT_UNSET,  /* bool *: set to false (a --no-... option) */
    WP_OPT_STRING, /* const char **: the value, never empty */
    WP_OPT_INT,    /* int *: a decimal integer from min to max */
    WP_OPT_SIZE,   /* uint64_t *: bytes, with an optional unit (kB, MB, GB, TB), min to max */
    WP_OPT_CHOICE, /* int *: the index of the value in choices ("a|b" names aliases) */
    WP_OPT_LSN,    /* wp_lsn *: X/X */
    WP_OPT_CALL,   /* parse(value, target, err): anything else */
    WP_OPT_ACTION, /* parse("", target, err), no value: e.g. -v counting up */
} wp_opt_kind;

enum {
    WP_OPT_REPEAT = 1 << 0, /* may be given more than once */
    WP_OPT_HIDDEN = 1 << 1, /* left out of the help */
};

typedef struct wp_opt wp_opt;

/* A WP_OPT_CALL parser: 0, or WP_E_USAGE with the reason (no option name:
 * the caller adds it) in err. */
typedef int (*wp_opt_parse_fn)(const char *value, void *target, wp_error *err);

struct wp_opt {
    int short_name; /* 0 when there is none */
    wp_opt_kind kind;
    unsigned flags;
    unsigned given;        /* set by wp_opt_parse: how many times it was given */
    const char *long_name; /* NULL ends the table */
    void *target;
    int64_t min, max;           /* WP_OPT_INT and WP_OPT_SIZE */
    const char *const *choices; /* WP_OPT_CHOICE, NULL-terminated */
    wp_opt_parse_fn parse;      /* WP_OPT_CALL and WP_OPT_ACTION */
    const char *arg_name;       /* in the help: --slot=NAME; NULL for no value */
    const char *help;
    const char *section; /* a heading printed before this entry, or NULL */
};

#define WP_OPT_END                                                                                 \
    {                                                                                              \
        .long_name = NULL                                                                          \
    }

/* A relation between two options, checked after parsing. */
typedef enum wp_opt_rule_kind {
    WP_OPT_EXCLUDES, /* a and b cannot be used together */
    WP_OPT_NEEDS,    /* a needs b */
} wp_opt_rule_kind;

typedef struct wp_opt_rule {
    wp_opt_rule_kind kind;
    const char *a, *b; /* long names */
} wp_opt_rule;

/* Parse argv[1..argc-1] against the table. Arguments that are not options
 * are moved to the end; *ret_first is the index of the first of them
 * (argc when there are none). */
int wp_opt_parse(wp_opt *table, int argc, char **argv, int *ret_first, wp_error *err);

/* Convert one value as its entry's kind says, into its target. The option
 * is named in the message as `name` (e.g. "--clients"). Pure apart from
 * writing the target. */
int wp_opt_convert(const wp_opt *opt, const char *name, const char *value, wp_error *err);

/* Check rules against what wp_opt_parse recorded. */
int wp_opt_check(const wp_opt *table, const wp_opt_rule *rules, size_t n_rules, wp_error *err);

/* Was the option with this long name given? */
bool wp_opt_given(const wp_opt *table, const char *long_name);

/* The table's help lines, aligned, with section headings. */
void wp_opt_print_help(FILE *out, const wp_opt *table);

/* Strict integer parsing: all of text a decimal integer from min to max. */
int wp_opt_parse_int(const char *text, int64_t min, int64_t max, int64_t *ret_value);

#endif
