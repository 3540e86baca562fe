from jinja2.runtime import LoopContext, Macro, Markup, Namespace, TemplateNotFound, TemplateReference, TemplateRuntimeError, Undefined, escape, identity, internalcode, markup_join, missing, str_join
name = 'log_header.html'

def root(context, missing=missing):
    resolve = context.resolve_or_missing
    undefined = environment.undefined
    concat = environment.concat
    cond_expr_undefined = Undefined
    if 0: yield None
    l_0_title = resolve('title')
    pass
    yield '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<meta name="viewport" content="width=device-width, initial-scale=1">\n<title>'
    yield escape((undefined(name='title') if l_0_title is missing else l_0_title))
    yield '</title>\n<style>\npre { white-space: pre-wrap; overflow-wrap: anywhere; }\nbody { background: #f0f0f0; color: #111; margin: 0.5em; }\na { color: inherit; }\n.tm { color: #007020; }\n.nk, .nka { font-weight: bold; }\n.ac { color: #00a000; }\n.hi { color: #4070a0; }\n.sys, .raw { color: #666; }\n.topic { color: #007020; font-weight: bold; }\n.topicline { color: #000080; font-weight: bold; }\n.cmd { color: #007020; font-weight: bold; }\n.cmdline { font-weight: bold; }\n:target { background: #ffffa0; }\n.c0 { color: #062873; } .c1 { color: #8b1a1a; } .c2 { color: #1f6b1f; } .c3 { color: #6a3d9a; }\n.c4 { color: #b15900; } .c5 { color: #006d6f; } .c6 { color: #a0185a; } .c7 { color: #4d5d00; }\n.c8 { color: #2b4fa8; } .c9 { color: #8f3b1b; } .c10 { color: #2e7d5b; } .c11 { color: #7b2fa3; }\n.c12 { color: #9a6a00; } .c13 { color: #1b6f9a; } .c14 { color: #b02a2a; } .c15 { color: #555555; }\n</style>\n</head>\n<body>\n<pre>\n'

blocks = {}
debug_info = '6=13'