/* walpull: parse the subcommand and hand over to it. */
#include "walpull/cmd.h"

#include <malloc.h>
#include <stdio.h>
#include <string.h>

static void usage(void)
{
    printf("walpull is a PostgreSQL physical replication client.\n\n"
           "Usage:\n"
           "  walpull check [OPTION]...          everything a seed or an archive needs, checked\n"
           "  walpull [seed] -D DIR [OPTION]...  make a standby's data directory (the\n"
           "                                     default command)\n"
           "  walpull archive [OPTION]...        stream WAL into an archive directory\n"
           "  walpull bench [OPTION]...          measure replication throughput\n"
           "  walpull identify [OPTION]...       show the server's identity\n"
           "  walpull slot ACTION NAME [OPTION]... create, read or drop a physical slot\n"
           "  walpull restore-wal -D DIR WALFILE TARGET  serve archived WAL to a recovery\n"
           "                                     (restore_command)\n"
           "  walpull verify -D DIR [OPTION]...  check an archive as recovery reads it\n"
           "  walpull expire -D DIR --before POINT  remove WAL older than POINT\n"
           "  walpull status -D DIR [OPTION]...  the archive's health, for people and\n"
           "                                     monitoring\n"
           "  walpull receivewal [OPTION]...     pg_receivewal's options and behaviour (also\n"
           "                                     run through a link named pg_receivewal)\n"
           "  walpull basebackup [OPTION]...     pg_basebackup's options and behaviour (also\n"
           "                                     run through a link named pg_basebackup)\n"
           "  walpull --version                  show the version, then exit\n"
           "  walpull --help                     show this help, then exit\n\n"
           "\"walpull COMMAND --help\" describes each command.\n");
}

int main(int argc, char **argv)
{
    static const struct {
        const char *name;
        int (*run)(int, char **);
    } commands[] = {
        {"archive", wp_cmd_archive},
        {"bench", wp_cmd_bench},
        {"identify", wp_cmd_identify},
        {"seed", wp_cmd_seed},
        {"slot", wp_cmd_slot},
        {"verify", wp_cmd_verify},
        {"restore-wal", wp_cmd_restore_wal},
        {"expire", wp_cmd_expire},
        {"status", wp_cmd_status},
        {"check", wp_cmd_check},
        {"receivewal", wp_cmd_receivewal},
        {"basebackup", wp_cmd_basebackup},
    };
    /* WAL arrives in buffers of about 128 kB that libpq allocates for each
     * message and walpull frees after the batch is written. glibc would
     * serve each from a fresh mmap (or trim the heap after each batch),
     * paying page faults for every byte; keep them on a reused heap. */
    mallopt(M_MMAP_THRESHOLD, 8 * 1024 * 1024);
    mallopt(M_TRIM_THRESHOLD, 64 * 1024 * 1024);
    /* Run through a link named after a stock tool: be that tool. */
    const char *base = strrchr(argv[0], '/');
    base = base ? base + 1 : argv[0];
    if (strncmp(base, "pg_receivewal", 13) == 0)
        return wp_cmd_receivewal(argc, argv);
    if (strncmp(base, "pg_basebackup", 13) == 0)
        return wp_cmd_basebackup(argc, argv);
    if (argc < 2) {
        usage();
        return 2;
    }
    if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0) {
        printf("walpull %s\n", WALPULL_VERSION);
        return 0;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-?") == 0) {
        usage();
        return 0;
    }
    /* Seeding is the main job: options alone mean "seed". */
    if (argv[1][0] == '-')
        return wp_cmd_seed(argc, argv);
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
        if (strcmp(argv[1], commands[i].name) == 0)
            return commands[i].run(argc - 1, argv + 1);
    }
    fprintf(stderr,
            "walpull: unknown command \"%s\"\nTry \"walpull --help\" for more information.\n",
            argv[1]);
    return 2;
}
