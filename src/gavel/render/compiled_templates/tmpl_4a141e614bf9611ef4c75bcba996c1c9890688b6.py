from jinja2.runtime import LoopContext, Macro, Markup, Namespace, TemplateNotFound, TemplateReference, TemplateRuntimeError, Undefined, escape, identity, internalcode, markup_join, missing, str_join
name = 'minutes_items.html'

def root(context, missing=missing):
    resolve = context.resolve_or_missing
    undefined = environment.undefined
    concat = environment.concat
    cond_expr_undefined = Undefined
    if 0: yield None
    l_0_summary_item = l_0_action_item = missing
    try:
        t_1 = environment.filters['hms']
    except KeyError:
        @internalcode
        def t_1(*unused):
            raise TemplateRuntimeError("No filter named 'hms' found.")
    try:
        t_2 = environment.filters['iso']
    except KeyError:
        @internalcode
        def t_2(*unused):
            raise TemplateRuntimeError("No filter named 'iso' found.")
    try:
        t_3 = environment.filters['linked']
    except KeyError:
        @internalcode
        def t_3(*unused):
            raise TemplateRuntimeError("No filter named 'linked' found.")
    try:
        t_4 = environment.tests['none']
    except KeyError:
        @internalcode
        def t_4(*unused):
            raise TemplateRuntimeError("No test named 'none' found.")
    pass
    def macro(l_1_item):
        t_5 = []
        if l_1_item is missing:
            l_1_item = undefined("parameter 'item' was not provided", name='item')
        pass
        t_5.extend((
            '<li class="',
            escape(environment.getattr(l_1_item, 'kind')),
            '">',
        ))
        if (environment.getattr(l_1_item, 'label') and (environment.getattr(l_1_item, 'kind') != 'link')):
            pass
            t_5.extend((
                '<b class="label">',
                escape(environment.getattr(l_1_item, 'label')),
                '</b>: ',
            ))
        t_5.extend((
            '<span class="text">',
            escape(t_3(environment.getattr(l_1_item, 'text'))),
            '</span>',
        ))
        if (not t_4(environment.getattr(l_1_item, 'corrected_from'))):
            pass
            t_5.append(
                ' <span class="details">(corrected)</span>',
            )
        t_5.extend((
            ' <span class="details">(<a href="',
            escape(environment.getattr(l_1_item, 'href')),
            '">',
            escape(environment.getattr(l_1_item, 'nick')),
            '</a>, <time datetime="',
            escape(t_2(environment.getattr(l_1_item, 'time'))),
            '">',
            escape(t_1(environment.getattr(l_1_item, 'time'))),
            '</time>)</span></li>',
        ))
        return concat(t_5)
    context.exported_vars.add('summary_item')
    context.vars['summary_item'] = l_0_summary_item = Macro(environment, macro, 'summary_item', ('item',), False, False, False, context.eval_ctx.autoescape)
    def macro(l_1_item):
        t_6 = []
        if l_1_item is missing:
            l_1_item = undefined("parameter 'item' was not provided", name='item')
        pass
        t_6.extend((
            '<li>',
            escape(t_3(environment.getattr(l_1_item, 'text'))),
            '</li>',
        ))
        return concat(t_6)
    context.exported_vars.add('action_item')
    context.vars['action_item'] = l_0_action_item = Macro(environment, macro, 'action_item', ('item',), False, False, False, context.eval_ctx.autoescape)

blocks = {}
debug_info = '3=36&4=77'