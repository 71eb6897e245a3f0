/* strmap.c - placeholder, being written */
