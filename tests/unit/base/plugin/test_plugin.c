/* A plugin for plugin_loader_test.cc: one C symbol, found next to base_unit_tests. */
__attribute__((visibility("default"))) int npuprobe_test_plugin_answer(void) { return 42; }
