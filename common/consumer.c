/* consumer.c - placeholder, being written */
