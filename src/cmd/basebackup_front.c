#include "walpull/cmd.h"
#include <stdio.h>
int wp_cmd_basebackup(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "pg_basebackup: error: not yet\n");
    return 1;
}
