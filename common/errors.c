/* errors.c - placeholder, being written */
