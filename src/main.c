/* walpull: parse the subcommand and hand over to it. */
#include "walpull/cmd.h"

#include <stdio.h>
#include <string.h>

static void usage(void)
{
    printf("walpull is a PostgreSQL physical replication client.\n\n"
           "Usage:\n"
           "  walpull [seed] -D DIR [OPTION]...  make a standby's data directory (the\n"
           "                                     default command)\n"
           "  walpull archive [OPTION]...        stream WAL into an archive directory\n"
           "  walpull identify [OPTION]...       show the server's identity\n"
           "  walpull slot ACTION NAME [OPTION]... create, read or drop a physical slot\n"
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
        {"identify", wp_cmd_identify},
        {"seed", wp_cmd_seed},
        {"slot", wp_cmd_slot},
    };
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
    fprintf(stderr, "walpull: unknown command \"%s\"\nTry \"walpull --help\" for more information.\n",
            argv[1]);
    return 2;
}
