# Geolead: build with Maven, run on a JRE 17 as a non-root user.
FROM maven:3.9-eclipse-temurin-17 AS build
WORKDIR /src
COPY pom.xml .
RUN mvn -B -q dependency:go-offline
COPY src src
COPY routes routes
# the packaged mail templates (pom.xml resources): without them no mail can be composed
COPY templates templates
RUN mvn -B -q -DskipTests package

FROM eclipse-temurin:17-jre
RUN apt-get update && apt-get install -y --no-install-recommends curl && rm -rf /var/lib/apt/lists/* \
    && groupadd --system geolead && useradd --system --gid geolead --home-dir /app --shell /usr/sbin/nologin geolead
WORKDIR /app
COPY --from=build /src/target/lib /app/lib
COPY --from=build /src/target/geolead.jar /app/geolead.jar
# the Hawtio console's war, found beside the jar (GEOLEAD_CONSOLE_WAR may name another)
COPY --from=build /src/target/hawtio /app/hawtio
RUN mkdir -p /app/data && chown geolead:geolead /app/data
USER geolead
ENV GEOLEAD_DATA_DIR=/app/data
EXPOSE 8080
ENTRYPOINT ["java", "-XX:MaxRAMPercentage=75", "-jar", "/app/geolead.jar"]
