# Helpers of the scripts that compare builds or JVM options launch by launch (startup.sh, first-seconds.sh):
# a variant is "LABEL|JAR|JAVA OPTIONS[|JAVA]", and each reports a median and a range per variant.

field() {  # field VARIANT N : the Nth |-separated field (1-based), empty when absent
  local IFS='|' parts
  read -r -a parts <<<"$1|"
  echo "${parts[$(($2 - 1))]:-}"
}

range() { sort -n | awk 'NR == 1 { lo = $1 } { hi = $1 } END { print lo "–" hi }'; }
