#!/bin/sh
echo "$GREETING!"
echo "I am PID $$ in $(hostname), $(cat /app/build-info.txt)."
