# Sourced by .ci/run and ./gkd4j: exports JAVA_HOME pointing to a JDK 25, or exits with a message.
# Order: $JAVA_HOME when it is a JDK 25, then /usr/lib/jvm/temurin-25*, then any /usr/lib/jvm/*25*.
jdk_major() {
    "$1/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p'
}
find_jdk25() {
    if [ -n "${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/javac" ] && [ "$(jdk_major "$JAVA_HOME")" = "25" ]; then
        echo "$JAVA_HOME"
        return 0
    fi
    for candidate in /usr/lib/jvm/temurin-25* /usr/lib/jvm/*-25-* /usr/lib/jvm/*25*; do
        if [ -x "$candidate/bin/javac" ] && [ "$(jdk_major "$candidate")" = "25" ]; then
            echo "$candidate"
            return 0
        fi
    done
    return 1
}
given_java_home="${JAVA_HOME:-}"
if ! JAVA_HOME="$(find_jdk25)"; then
    echo "error: gkd4j needs a JDK 25, but JAVA_HOME (${given_java_home:-unset}) is not one and none was found" \
         "under /usr/lib/jvm. Install Temurin 25 and set JAVA_HOME to it." >&2
    exit 1
fi
export JAVA_HOME
export PATH="$JAVA_HOME/bin:$PATH"
# Maven 3.8's bundled Guava calls sun.misc.Unsafe, which JDK 25 warns about on every run.
export MAVEN_OPTS="${MAVEN_OPTS:-} --sun-misc-unsafe-memory-access=allow"
