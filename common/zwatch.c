/* zwatch.c - placeholder, being written */
