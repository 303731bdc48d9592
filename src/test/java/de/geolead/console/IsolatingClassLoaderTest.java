package de.geolead.console;

import org.junit.jupiter.api.Test;

import java.util.Collections;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class IsolatingClassLoaderTest {

    final ClassLoader application = IsolatingClassLoaderTest.class.getClassLoader();
    final IsolatingClassLoader loader = new IsolatingClassLoader(application);

    @Test
    void servletApiJettyAndTheLoginModuleAreTheApplicationsOwn() throws Exception {
        assertThat(loader.loadClass("jakarta.servlet.Servlet")).isSameAs(jakarta.servlet.Servlet.class);
        assertThat(loader.loadClass("org.eclipse.jetty.server.Server")).isSameAs(org.eclipse.jetty.server.Server.class);
        assertThat(loader.loadClass(PropertiesLoginModule.class.getName())).isSameAs(PropertiesLoginModule.class);
        assertThat(loader.loadClass(RolePrincipal.class.getName())).isSameAs(RolePrincipal.class);
        assertThat(loader.getResource("jakarta/servlet/Servlet.class")).isNotNull();
    }

    @Test
    void theJdkComesFromThePlatform() throws Exception {
        assertThat(loader.loadClass("java.lang.String")).isSameAs(String.class);
        assertThat(loader.loadClass("javax.management.ObjectName")).isSameAs(javax.management.ObjectName.class);
        assertThat(loader.loadClass("java.sql.Connection")).isSameAs(java.sql.Connection.class);
    }

    @Test
    void everythingElseOfTheApplicationIsInvisible() {
        for (String name : new String[] {"org.slf4j.Logger", "org.apache.camel.CamelContext",
                "com.fasterxml.jackson.databind.ObjectMapper", "de.geolead.config.GeoleadSettings"}) {
            assertThatThrownBy(() -> loader.loadClass(name)).as(name).isInstanceOf(ClassNotFoundException.class);
        }
        assertThat(loader.getResource("org/slf4j/Logger.class")).isNull();
        assertThat(loader.getResource("application.properties")).isNull();
    }

    @Test
    void serviceFilesOfTheApplicationAreInvisible() throws Exception {
        // Jolokia finds its plugins through such files; the application's must never reach the war's Jolokia
        assertThat(application.getResources("META-INF/services/org.slf4j.spi.SLF4JServiceProvider").hasMoreElements()).isTrue();

        assertThat(Collections.list(loader.getResources("META-INF/services/org.slf4j.spi.SLF4JServiceProvider"))).isEmpty();
        assertThat(Collections.list(loader.getResources("META-INF/jolokia/services"))).isEmpty();
    }
}
