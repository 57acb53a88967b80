# Build stage: compile and package the runnable jar.
FROM maven:3.9-eclipse-temurin-21 AS build
WORKDIR /src
COPY pom.xml .
RUN mvn -B -q dependency:go-offline
COPY src src
RUN mvn -B -q package -DskipTests

# Run stage: a JRE, the jar, the configuration and the routes, as a non-root user.
FROM eclipse-temurin:21-jre
RUN groupadd --system caravan && useradd --system --gid caravan --home /app caravan \
    && apt-get update && apt-get install -y --no-install-recommends curl && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=build /src/target/caravan.jar caravan.jar
COPY application.properties application.properties
COPY routes routes
RUN mkdir -p data && chown -R caravan:caravan /app
USER caravan
EXPOSE 8080 9876
# Management (metrics, health, console) listens on every interface inside the container, so that a published
# port reaches it; publish 9876 only on a private network (docker run -p 127.0.0.1:9876:9876 ...), never publicly.
# G1, named: with a limit under ~1.8 GB or one CPU the JVM would pick the serial collector, whose whole-heap pauses
# stop the event loops. Heap: 60% of the container's limit leaves room for the ~130 MB the JVM needs beside it (a
# 512 MiB limit gives a ~307 MB heap), fixed so that G1 does not keep it small and mark it over and over; README,
# "Running it for real". The marking stack's start size, two malloc arenas, a trim every second and Netty's 1 MB
# buffer chunks (4 MB by default, one per arena) keep ~27 MB less beside the heap; the metadata threshold at 96 MB
# spares two full collections at start. (On a JDK 25 image, -XX:+UseCompactObjectHeaders would take 9 % off the live
# heap per call; JDK 21 refuses it.) Native access for JNA, which opens file drops without blocking: JDK 24 and
# later warn at its first call without it.
ENV JAVA_OPTS="-XX:+UseG1GC -XX:InitialRAMPercentage=60 -XX:MaxRAMPercentage=60 \
-XX:-ClassUnloadingWithConcurrentMark -XX:MarkStackSize=256k -XX:TrimNativeHeapInterval=1000 -XX:MetaspaceSize=96m \
-Dio.netty.allocator.maxOrder=7 --enable-native-access=ALL-UNNAMED" \
    MALLOC_ARENA_MAX=2 \
    CAMEL_MANAGEMENT_HOST=0.0.0.0
HEALTHCHECK --interval=15s --timeout=3s --start-period=30s --retries=3 \
    CMD curl -fsS http://127.0.0.1:9876/observe/health || exit 1
ENTRYPOINT ["sh", "-c", "exec java $JAVA_OPTS -jar caravan.jar"]
