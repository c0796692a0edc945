#include "walpull/log.h"

#include "walpull/buf.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

wp_log_level wp_log_verbosity = WP_LOG_WARNING;

/* Where and how lines go: set once at start (and the file on SIGHUP). */
static struct {
    bool json;
    FILE *file;          /* NULL: stderr */
    char path[4096];     /* of file, for reopening */
    const char *program; /* NULL: walpull's own style */
} out;

static const char *level_name(wp_log_level level)
{
    switch (level) {
    case WP_LOG_ERROR:
        return "error";
    case WP_LOG_WARNING:
        return "warning";
    case WP_LOG_INFO:
        return "info";
    case WP_LOG_DEBUG:
        return "debug";
    }
    return "log";
}

void wp_log_set_json(bool json)
{
    out.json = json;
}

void wp_log_set_program(const char *program)
{
    out.program = program;
}

static int open_log(const char *path, FILE **ret, wp_error *err)
{
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
    FILE *f = fd >= 0 ? fdopen(fd, "a") : NULL;
    if (!f) {
        int e = errno;
        if (fd >= 0)
            close(fd);
        return wp_error_errno(err, e, "could not open log file \"%s\"", path);
    }
    setvbuf(f, NULL, _IOLBF, 0);
    *ret = f;
    return 0;
}

int wp_log_open_file(const char *path, wp_error *err)
{
    if (strlen(path) >= sizeof(out.path))
        return wp_error_set(err, WP_E_USAGE, "log file name too long");
    FILE *f = NULL;
    int r = open_log(path, &f, err);
    if (r < 0 || !f)
        return r;
    if (out.file)
        fclose(out.file);
    out.file = f;
    memcpy(out.path, path, strlen(path) + 1);
    return 0;
}

int wp_log_reopen(wp_error *err)
{
    if (!out.file)
        return 0;
    FILE *f = NULL;
    int r = open_log(out.path, &f, err);
    if (r < 0 || !f)
        return r; /* keep writing to the old one */
    fclose(out.file);
    out.file = f;
    return 0;
}

/* Every message is one line: libpq's own messages span several, with
 * tabs; each run of line breaks and tabs becomes one space. */
static void one_line(char *text)
{
    char *o = text;
    for (const char *p = text; *p; p++) {
        if (*p == '\n' || *p == '\t' || *p == '\r') {
            if (o > text && o[-1] != ' ')
                *o++ = ' ';
        } else {
            *o++ = *p;
        }
    }
    while (o > text && o[-1] == ' ')
        o--;
    *o = '\0';
}

static void timestamp(char *buf, size_t size)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    struct tm tm;
    gmtime_r(&tv.tv_sec, &tm);
    size_t n = strftime(buf, size, "%Y-%m-%d %H:%M:%S", &tm);
    snprintf(buf + n, size - n, ".%03d UTC", (int)(tv.tv_usec / 1000));
}

/* The stock tools' shape: information bare, the rest by level. */
static void emit_stock(FILE *f, wp_log_level level, const char *message, const char *hint)
{
    if (level == WP_LOG_INFO || level == WP_LOG_DEBUG)
        fprintf(f, "%s: %s\n", out.program, message);
    else
        fprintf(f, "%s: %s: %s\n", out.program, level_name(level), message);
    if (hint && hint[0])
        fprintf(f, "%s: hint: %s\n", out.program, hint);
}

/* One line out: text or JSON, with what an error adds. */
static void emit(wp_log_level level, char *message, const char *sqlstate, const char *hint)
{
    FILE *f = out.file ? out.file : stderr;
    char when[40];
    timestamp(when, sizeof(when));
    one_line(message);
    if (out.json) {
        wp_buf b = {0};
        wp_buf_printf(&b, "{\"time\": \"%s\", \"level\": \"%s\", \"message\": ", when,
                      level_name(level));
        wp_buf_json_string(&b, message);
        if (sqlstate && sqlstate[0]) {
            wp_buf_puts(&b, ", \"sqlstate\": ");
            wp_buf_json_string(&b, sqlstate);
        }
        if (hint && hint[0]) {
            wp_buf_puts(&b, ", \"hint\": ");
            wp_buf_json_string(&b, hint);
        }
        wp_buf_puts(&b, "}\n");
        fputs(wp_buf_str(&b), f);
        wp_buf_free(&b);
        return;
    }
    if (out.program) {
        emit_stock(f, level, message, hint);
        return;
    }
    /* The journal stamps lines itself. */
    bool stamp = out.file || !getenv("JOURNAL_STREAM");
    fprintf(f, "%s%swalpull: %s: %s", stamp ? when : "", stamp ? " " : "", level_name(level),
            message);
    if (sqlstate && sqlstate[0])
        fprintf(f, " (SQLSTATE %s)", sqlstate);
    fputc('\n', f);
    if (hint && hint[0])
        fprintf(f, "%s%swalpull: hint: %s\n", stamp ? when : "", stamp ? " " : "", hint);
}

void wp_log(wp_log_level level, const char *fmt, ...)
{
    if (level > wp_log_verbosity)
        return;
    char text[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    emit(level, text, NULL, NULL);
}

void wp_log_error(const wp_error *err)
{
    char message[sizeof(err->message)], hint[sizeof(err->hint)];
    memcpy(message, err->message, sizeof(message));
    memcpy(hint, err->hint, sizeof(hint));
    one_line(hint);
    emit(WP_LOG_ERROR, message, err->sqlstate, hint);
}
