/** The {@code disranker} command line: one subcommand per stage, and the pipeline. */
package org.disranker.cli;
