#!/bin/bash
# Prints a numbered line with non-ASCII text once a second, for the
# upstream test that follows a log holding Unicode (issue 565).
for i in $(seq 1 10); do
	echo "The Øresund bridge ends in Malmö - $i"
	sleep 1
done
