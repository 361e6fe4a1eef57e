"""What editors run besides the build: `check` and `explain` reports, the drift after a build,
the preview server, and `sitegen new`."""
