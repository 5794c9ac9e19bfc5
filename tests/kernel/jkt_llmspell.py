"""jupyter_kernel_test suite for the llmspell kernelspec named in JKT_KERNEL_NAME.

Run by tests/kernel/jupyter_test.ts with the kernelspec installed under a temporary
JUPYTER_PATH and a temporary LLMSPELL_HOME.
"""
import os
import unittest

import jupyter_kernel_test


class LlmspellKernelTests(jupyter_kernel_test.KernelTests):
    kernel_name = os.environ.get("JKT_KERNEL_NAME", "llmspell")
    language_name = "lua"
    file_extension = ".lua"

    code_hello_world = "print('hello, world')"
    code_stderr = "io.stderr:write('oops\\n')"

    completion_samples = [
        {"text": "pri", "matches": {"print"}},
        {"text": "string.up", "matches": {"upper"}},
        {"text": "math.ma", "matches": {"max", "maxinteger"}},
        {"text": "whi", "matches": {"while"}},
        {"text": "local s = 'x'; s = ('a'):len() + #string.rep", "matches": {"rep"}},
    ]

    complete_code_samples = ["1+2", "x = 1", "print('a')", "for i = 1, 2 do print(i) end", ""]
    incomplete_code_samples = ["for i = 1, 2 do", "function f(x)", "t = {", "print('a',", "s = [[long"]
    invalid_code_samples = ["x = = 1", "end", "x = 'abc", "1 +* 2"]

    code_generate_error = "error('boom')"

    code_execute_result = [
        {"code": "1+2", "result": "3"},
        {"code": "'a' .. 'b'", "result": "ab"},
        {"code": "x = 6\nx * 7", "result": "42"},
        {"code": "{1, 'two', k = true}", "result": '{1, "two", k = true}'},
    ]

    code_display_data = [
        {"code": "display({1, 2})", "mime": "text/plain"},
        {"code": "display('<b>hi</b>', 'text/html')", "mime": "text/html"},
        {"code": "display('# Title', 'text/markdown')", "mime": "text/markdown"},
        {"code": "display({a = {1, 2}}, 'application/json')", "mime": "application/json"},
        {"code": "display('\\137PNG\\r\\n', 'image/png')", "mime": "image/png"},
        {"code": "display('<svg xmlns=\"http://www.w3.org/2000/svg\"/>', 'image/svg+xml')", "mime": "image/svg+xml"},
    ]

    supported_history_operations = ("tail", "range", "search")
    code_history_pattern = "1?2"

    code_inspect_sample = "print"

    code_clear_output = "clear_output()"


if __name__ == "__main__":
    unittest.main()
