from jinja2.runtime import LoopContext, Macro, Markup, Namespace, TemplateNotFound, TemplateReference, TemplateRuntimeError, Undefined, escape, identity, internalcode, markup_join, missing, str_join
name = 'minutes.html'

def root(context, missing=missing):
    resolve = context.resolve_or_missing
    undefined = environment.undefined
    concat = environment.concat
    cond_expr_undefined = Undefined
    if 0: yield None
    l_0_view = resolve('view')
    try:
        t_1 = environment.filters['action_items']
    except KeyError:
        @internalcode
        def t_1(*unused):
            raise TemplateRuntimeError("No filter named 'action_items' found.")
    try:
        t_2 = environment.filters['hms']
    except KeyError:
        @internalcode
        def t_2(*unused):
            raise TemplateRuntimeError("No filter named 'hms' found.")
    try:
        t_3 = environment.filters['iso']
    except KeyError:
        @internalcode
        def t_3(*unused):
            raise TemplateRuntimeError("No filter named 'iso' found.")
    try:
        t_4 = environment.filters['join']
    except KeyError:
        @internalcode
        def t_4(*unused):
            raise TemplateRuntimeError("No filter named 'join' found.")
    try:
        t_5 = environment.filters['length']
    except KeyError:
        @internalcode
        def t_5(*unused):
            raise TemplateRuntimeError("No filter named 'length' found.")
    try:
        t_6 = environment.filters['linked']
    except KeyError:
        @internalcode
        def t_6(*unused):
            raise TemplateRuntimeError("No filter named 'linked' found.")
    try:
        t_7 = environment.filters['summary_items']
    except KeyError:
        @internalcode
        def t_7(*unused):
            raise TemplateRuntimeError("No filter named 'summary_items' found.")
    try:
        t_8 = environment.tests['none']
    except KeyError:
        @internalcode
        def t_8(*unused):
            raise TemplateRuntimeError("No test named 'none' found.")
    pass
    yield '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<meta name="viewport" content="width=device-width, initial-scale=1">\n<meta name="generator" content="'
    yield escape(environment.getattr((undefined(name='view') if l_0_view is missing else l_0_view), 'generator'))
    yield '">\n'
    if environment.getattr((undefined(name='view') if l_0_view is missing else l_0_view), 'restricted'):
        pass
        yield '<meta name="robots" content="noindex, nofollow">\n'
    yield '<title>'
    yield escape(environment.getattr((undefined(name='view') if l_0_view is missing else l_0_view), 'page_title'))
    yield '</title>\n<style>\nbody { font-family: Helvetica, Arial, sans-serif; font-size: 15px; line-height: 1.45; max-width: 50em; margin: 0 auto; padding: 0 1em; color: #111; overflow-wrap: anywhere; }\nh1 { text-align: center; font-size: 1.5em; }\nh2 { font-size: 1.15em; border-bottom: 1px solid #ccc; }\na { color: navy; }\n.details { font-size: 0.85em; color: #444; }\n.label { font-weight: bold; }\n.topic { font-weight: bold; }\n.notice { background: #fff3cd; padding: 0.5em; }\nli { margin: 0.2em 0; }\nfooter { margin: 2em 0 1em; font-size: 0.85em; color: #444; }\n</style>\n</head>\n<body>\n<header>\n<h1>'
    yield escape(environment.getattr((undefined(name='view') if l_0_view is missing else l_0_view), 'page_title'))
    yield '</h1>\n<p class="details">Meeting started by '
    yield escape(environment.getattr((undefined(name='view') if l_0_view is missing else l_0_view), 'started_by'))
    yield ' at <time datetime="'
    yield escape(t_3(environment.getattr((undefined(name='view') if l_0_view is missing else l_0_view), 'started_at')))
    yield '">'
    yield escape(t_2(environment.getattr((undefined(name='view') if l_0_view is missing else l_0_view), 'started_at')))
    yield ' UTC</time> (<a href="'
    yield escape(environment.getattr((undefined(name='view') if l_0_view is missing else l_0_view), 'log_href'))
    yield '">full logs</a>).</p>\n'
    if environment.getattr((undefined(name='view') if l_0_view is missing else l_0_view), 'restricted'):
        pass
        yield '<p class="notice">These minutes are restricted: they are not for publication.</p>\n'
    yield '</header>\n<main>\n<section id="summary">\n<h2>Meeting summary</h2>\n'
    if environment.getattr((undefined(name='view') if l_0_view is missing else l_0_view), 'summary'):
        pass
        yield '<ol class="topics">\n'
        for l_1_group in environment.getattr((undefined(name='view') if l_0_view is missing else l_0_view), 'summary'):
            l_1_topic = resolve('topic')
            _loop_vars = {}
            pass
            yield '<li>\n'
            if environment.getattr(l_1_group, 'topic'):
                pass
                l_1_topic = environment.getattr(l_1_group, 'topic')
                _loop_vars['topic'] = l_1_topic
                yield '<span class="topic">'
                yield escape(t_6(environment.getattr((undefined(name='topic') if l_1_topic is missing else l_1_topic), 'text')))
                yield '</span>'
                if (not t_8(environment.getattr((undefined(name='topic') if l_1_topic is missing else l_1_topic), 'corrected_from'))):
                    pass
                    yield ' <span class="details">(corrected)</span>'
                if environment.getattr((undefined(name='topic') if l_1_topic is missing else l_1_topic), 'timebox_text'):
                    pass
                    yield ' <span class="details timebox">('
                    yield escape(environment.getattr((undefined(name='topic') if l_1_topic is missing else l_1_topic), 'timebox_text'))
                    yield ')</span>'
                yield ' <span class="details">(<a href="'
                yield escape(environment.getattr((undefined(name='topic') if l_1_topic is missing else l_1_topic), 'href'))
                yield '">'
                yield escape(environment.getattr((undefined(name='topic') if l_1_topic is missing else l_1_topic), 'nick'))
                yield '</a>, <time datetime="'
                yield escape(t_3(environment.getattr((undefined(name='topic') if l_1_topic is missing else l_1_topic), 'time')))
                yield '">'
                yield escape(t_2(environment.getattr((undefined(name='topic') if l_1_topic is missing else l_1_topic), 'time')))
                yield '</time>)</span>\n'
            if environment.getattr(l_1_group, 'items'):
                pass
                yield '<ol type="a">\n'
                pass
                t_9 = context.eval_ctx.save()
                context.eval_ctx.autoescape = False
                for l_3_lines in t_7(environment.getattr(l_1_group, 'items')):
                    _loop_vars = {}
                    pass
                    yield str(l_3_lines)
                    yield '\n'
                l_3_lines = missing
                context.eval_ctx.revert(t_9)
                yield '</ol>\n'
            yield '</li>\n'
        l_1_group = l_1_topic = missing
        yield '</ol>\n'
    else:
        pass
        yield '<p>No items were recorded.</p>\n'
    yield '</section>\n'
    if environment.getattr((undefined(name='view') if l_0_view is missing else l_0_view), 'ended_at'):
        pass
        yield '<p class="details">Meeting ended at <time datetime="'
        yield escape(t_3(environment.getattr((undefined(name='view') if l_0_view is missing else l_0_view), 'ended_at')))
        yield '">'
        yield escape(t_2(environment.getattr((undefined(name='view') if l_0_view is missing else l_0_view), 'ended_at')))
        yield ' UTC</time> (<a href="'
        yield escape(environment.getattr((undefined(name='view') if l_0_view is missing else l_0_view), 'log_href'))
        yield '">full logs</a>).</p>\n'
    else:
        pass
        yield '<p class="details notice">Meeting not ended (log ends at <time datetime="'
        yield escape(t_3(environment.getattr((undefined(name='view') if l_0_view is missing else l_0_view), 'unfinished_at')))
        yield '">'
        yield escape(t_2(environment.getattr((undefined(name='view') if l_0_view is missing else l_0_view), 'unfinished_at')))
        yield ' UTC</time>; <a href="'
        yield escape(environment.getattr((undefined(name='view') if l_0_view is missing else l_0_view), 'log_href'))
        yield '">full logs</a>).</p>\n'
    if environment.getattr((undefined(name='view') if l_0_view is missing else l_0_view), 'actions'):
        pass
        yield '<section id="actions">\n<h2>Action items</h2>\n<ol>\n'
        pass
        t_10 = context.eval_ctx.save()
        context.eval_ctx.autoescape = False
        for l_2_lines in t_1(environment.getattr((undefined(name='view') if l_0_view is missing else l_0_view), 'actions')):
            _loop_vars = {}
            pass
            yield str(l_2_lines)
            yield '\n'
        l_2_lines = missing
        context.eval_ctx.revert(t_10)
        yield '</ol>\n</section>\n<section id="actions-by-person">\n<h2>Action items, by person</h2>\n<ol>\n'
        for l_1_owner in environment.getattr((undefined(name='view') if l_0_view is missing else l_0_view), 'actions_by_person'):
            _loop_vars = {}
            pass
            yield '<li>'
            yield escape(environment.getattr(l_1_owner, 'nick'))
            yield '\n<ol>\n'
            pass
            t_11 = context.eval_ctx.save()
            context.eval_ctx.autoescape = False
            for l_3_lines in t_1(environment.getattr(l_1_owner, 'actions')):
                _loop_vars = {}
                pass
                yield str(l_3_lines)
                yield '\n'
            l_3_lines = missing
            context.eval_ctx.revert(t_11)
            yield '</ol>\n</li>\n'
        l_1_owner = missing
        yield '</ol>\n</section>\n'
    yield '<section id="people">\n<h2>People present (lines said)</h2>\n<ol>\n'
    for l_1_person in environment.getattr((undefined(name='view') if l_0_view is missing else l_0_view), 'people'):
        _loop_vars = {}
        pass
        yield '<li>'
        yield escape(environment.getattr(l_1_person, 'nick'))
        yield ' ('
        yield escape(environment.getattr(l_1_person, 'lines'))
        yield ')'
        if environment.getattr(l_1_person, 'also_known_as'):
            pass
            yield ' <span class="details">(also '
            yield escape(t_4(context.eval_ctx, environment.getattr(l_1_person, 'also_known_as'), ', '))
            yield ')</span>'
        yield '</li>\n'
    l_1_person = missing
    yield '</ol>\n</section>\n'
    if environment.getattr((undefined(name='view') if l_0_view is missing else l_0_view), 'attendance_taken'):
        pass
        yield '<section id="attendance">\n<h2>Attendance</h2>\n<p>Present: '
        yield escape((t_4(context.eval_ctx, environment.getattr((undefined(name='view') if l_0_view is missing else l_0_view), 'present'), ', ') or 'nobody'))
        yield '</p>\n<p>Regrets: '
        yield escape((t_4(context.eval_ctx, environment.getattr((undefined(name='view') if l_0_view is missing else l_0_view), 'regrets'), ', ') or 'none'))
        yield '</p>\n</section>\n'
    if environment.getattr((undefined(name='view') if l_0_view is missing else l_0_view), 'agenda'):
        pass
        yield '<section id="agenda">\n<h2>Agenda</h2>\n<ol>\n'
        for l_1_agendum in environment.getattr((undefined(name='view') if l_0_view is missing else l_0_view), 'agenda'):
            _loop_vars = {}
            pass
            yield '<li value="'
            yield escape(environment.getattr(l_1_agendum, 'number'))
            yield '">'
            yield escape(t_6(environment.getattr(l_1_agendum, 'title')))
            yield ' <span class="details">('
            yield escape(environment.getattr(l_1_agendum, 'proposer'))
            yield ')</span>: '
            yield escape(environment.getattr(l_1_agendum, 'time_text'))
            yield '</li>\n'
        l_1_agendum = missing
        yield '</ol>\n</section>\n'
    if environment.getattr((undefined(name='view') if l_0_view is missing else l_0_view), 'votes'):
        pass
        yield '<section id="votes">\n<h2>Votes</h2>\n<ol>\n'
        for l_1_vote in environment.getattr((undefined(name='view') if l_0_view is missing else l_0_view), 'votes'):
            _loop_vars = {}
            pass
            yield '<li>'
            yield escape(t_6(environment.getattr(l_1_vote, 'question')))
            yield ' <span class="details">(<a href="'
            yield escape(environment.getattr(l_1_vote, 'href'))
            yield '">'
            yield escape(environment.getattr(l_1_vote, 'nick'))
            yield '</a>, <time datetime="'
            yield escape(t_3(environment.getattr(l_1_vote, 'time')))
            yield '">'
            yield escape(t_2(environment.getattr(l_1_vote, 'time')))
            yield '</time>)</span>\n<ul>\n'
            for (l_2_option, l_2_voters) in environment.getattr(l_1_vote, 'results'):
                _loop_vars = {}
                pass
                yield '<li>'
                yield escape(l_2_option)
                yield ' ('
                yield escape(t_5(l_2_voters))
                yield ')'
                if l_2_voters:
                    pass
                    yield ': '
                    yield escape(t_4(context.eval_ctx, l_2_voters, ', '))
                yield '</li>\n'
            l_2_option = l_2_voters = missing
            yield '</ul>\n</li>\n'
        l_1_vote = missing
        yield '</ol>\n</section>\n'
    yield '</main>\n<footer>\n<p>Generated by '
    if environment.getattr((undefined(name='view') if l_0_view is missing else l_0_view), 'info_url'):
        pass
        yield '<a href="'
        yield escape(environment.getattr((undefined(name='view') if l_0_view is missing else l_0_view), 'info_url'))
        yield '">gavel</a>'
    else:
        pass
        yield 'gavel'
    yield ' '
    yield escape(environment.getattr((undefined(name='view') if l_0_view is missing else l_0_view), 'version'))
    yield '.</p>\n</footer>\n</body>\n</html>\n'

blocks = {}
debug_info = '8=61&9=63&12=67&28=69&29=71&30=79&37=83&39=86&41=91&42=93&43=96&45=115&48=121&49=124&61=136&62=139&64=148&66=154&71=160&72=163&80=168&81=172&84=177&85=180&97=188&98=192&102=204&105=207&106=209&109=211&113=214&114=218&119=228&123=231&124=235&126=245&127=249&137=263'