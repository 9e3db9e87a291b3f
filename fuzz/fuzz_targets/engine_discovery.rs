//! Engine discovery: `DOCKER_HOST`, the properties file, `config.json` and a docker context.
#![no_main]
libfuzzer_sys::fuzz_target!(|input: (&str, &str, &str, &str, bool)| {
    let (docker_host, properties, config_json, context_meta, use_context) = input;
    throwaway::fuzzing::engine_discovery(
        docker_host,
        properties,
        config_json,
        context_meta,
        use_context,
    );
});
