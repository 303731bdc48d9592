package de.geolead.console;

import java.io.IOException;
import java.net.URL;
import java.util.Collections;
import java.util.Enumeration;
import java.util.List;

/**
 * Parent of the Hawtio web app's class loader: the JDK (platform class loader) plus, from the application,
 * only the servlet API, Jetty and this package (the JAAS login module). Everything else, Jolokia above all,
 * comes from the war, so the war's Jolokia 2.1.1 never finds the application's Jolokia classes or its
 * {@code META-INF/jolokia} service files (that clash fails every request with a ClassCastException).
 * <p>
 * {@link ClassLoader#loadClass}, {@code getResource} and {@code getResources} ask the platform class
 * loader first and then the {@code find…} methods below, which answer for the shared packages only.
 */
final class IsolatingClassLoader extends ClassLoader {

    private static final List<String> SHARED_PACKAGES = List.of("jakarta.servlet.", "org.eclipse.jetty.", "de.geolead.console.");

    private final ClassLoader application;

    IsolatingClassLoader(ClassLoader application) {
        super("geolead-console-parent", ClassLoader.getPlatformClassLoader());
        this.application = application;
    }

    @Override
    protected Class<?> findClass(String name) throws ClassNotFoundException {
        if (shared(name)) {
            return application.loadClass(name);
        }
        throw new ClassNotFoundException(name);
    }

    @Override
    protected URL findResource(String name) {
        return shared(resourceToClassName(name)) ? application.getResource(name) : null;
    }

    @Override
    protected Enumeration<URL> findResources(String name) throws IOException {
        return shared(resourceToClassName(name)) ? application.getResources(name) : Collections.emptyEnumeration();
    }

    private static boolean shared(String className) {
        return SHARED_PACKAGES.stream().anyMatch(className::startsWith);
    }

    private static String resourceToClassName(String resource) {
        return (resource.startsWith("/") ? resource.substring(1) : resource).replace('/', '.');
    }
}
