"""The report's fixed assets: its stylesheet and plotly's Swedish locale (inline, no requests).

One stylesheet for every page type, so a new page gets the same cards, tables, notes and
print layout by using the class names defined here (``cards``/``card``, ``badge``,
``note``, ``scroll``, ``lead``, ``num``, ``ci``, ``total``, ``missing``, ``uncertain``).
"""

SV_LOCALE = """Plotly.register({moduleType:'locale',name:'sv',dictionary:{
'Download plot as a png':'Ladda ner som PNG','Download plot':'Ladda ner diagrammet','Zoom':'Zooma',
'Pan':'Panorera','Zoom in':'Zooma in','Zoom out':'Zooma ut','Autoscale':'Anpassa skala',
'Reset axes':'Återställ axlar','Reset':'Återställ','Box Select':'Rektangelval','Lasso Select':'Lassoval',
'Toggle Spike Lines':'Visa stödlinjer','Show closest data on hover':'Visa närmaste värde',
'Compare data on hover':'Jämför värden','Double-click to zoom back out':'Dubbelklicka för att zooma ut',
'Reset view':'Återställ vy'},
format:{days:['söndag','måndag','tisdag','onsdag','torsdag','fredag','lördag'],
shortDays:['sön','mån','tis','ons','tor','fre','lör'],
months:['januari','februari','mars','april','maj','juni','juli','augusti','september','oktober','november','december'],
shortMonths:['jan','feb','mar','apr','maj','jun','jul','aug','sep','okt','nov','dec'],
date:'%Y-%m-%d',decimal:',',thousands:' '}});"""

CSS = """
:root{--ink:#1a1a1a;--muted:#555;--line:#d5d8dc;--bg:#f6f7f9;--card:#fff;--accent:#0b5394;
--good:#1b7f3b;--bad:#c0392b;--warn:#9a6700}
*{box-sizing:border-box}
html{font-size:19px}
body{margin:0;font-family:system-ui,-apple-system,'Segoe UI',Roboto,'Helvetica Neue',Arial,sans-serif;
color:var(--ink);background:var(--bg);line-height:1.5}
header.top{background:#0b3d66;color:#fff;padding:1.4rem 2rem 1.2rem}
header.top h1{margin:0 0 .3rem;font-size:2.1rem;line-height:1.2}
header.top p{margin:.2rem 0;font-size:1.05rem;opacity:.95}
nav{background:#fff;border-bottom:1px solid var(--line);padding:.5rem 2rem;position:sticky;top:0;z-index:5}
nav a{color:var(--accent);margin-right:1.2rem;text-decoration:none;font-size:.95rem;white-space:nowrap}
nav a:hover{text-decoration:underline}
main{max-width:1280px;margin:0 auto;padding:1rem 2rem 3rem}
section{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:1.2rem 1.6rem;margin:1.4rem 0}
h2{font-size:1.6rem;margin:.2rem 0 .6rem;color:#0b3d66}
h3{font-size:1.25rem;margin:1.4rem 0 .4rem}
p.lead{font-size:1.05rem;color:var(--muted);margin:.2rem 0 .8rem;max-width:60rem}
.answer{background:#eef4fb;border:2px solid var(--accent);border-radius:10px;padding:.9rem 1.2rem;margin:.4rem 0 1rem;font-size:1.12rem}
.answer p{margin:.3rem 0}.answer h3{margin:.4rem 0 .2rem;font-size:1.1rem}
.answer .answer-note{font-size:.9rem;color:var(--muted)}
.pays p{margin:.35rem 0;max-width:60rem}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(230px,1fr));gap:1rem;margin:.6rem 0}
.card{border:1px solid var(--line);border-left:6px solid var(--accent);border-radius:8px;padding:1rem 1.1rem;background:#fff}
.card h3{margin:0 0 .3rem;font-size:1.05rem;color:var(--muted);font-weight:600;min-height:2.6em}
.card .value{font-size:2.3rem;font-weight:700;line-height:1.15;margin:.2rem 0;overflow-wrap:anywhere}
.card .unit{font-size:1.15rem;font-weight:600;color:var(--muted);margin:-.2rem 0 .3rem}
.card .range{font-size:1rem;color:var(--ink);margin:.2rem 0}.card .range .what{font-weight:600}
.card .ci{font-size:.9rem;color:var(--muted);margin:.2rem 0}
.card .card-note{font-size:.85rem;color:var(--muted);margin-top:.5rem}
.card.good{border-left-color:var(--good)}.card.bad{border-left-color:var(--bad)}.card.unclear{border-left-color:#95a5a6}
.badge{display:inline-block;white-space:nowrap;font-size:.8rem;font-weight:700;padding:.1rem .5rem;border-radius:99px;color:#fff;vertical-align:middle}
.badge.good{background:var(--good)}.badge.bad{background:var(--bad)}.badge.unclear{background:#7f8c8d}
.plot{width:100%;min-height:320px}
.figure{margin:.6rem 0 1.4rem}
table{border-collapse:collapse;width:100%;font-size:1rem;margin:.6rem 0}
th,td{border-bottom:1px solid var(--line);padding:.45rem .6rem;text-align:left;vertical-align:top}
th{background:#eef2f6;font-weight:600}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
td .ci{display:block;font-size:.8rem;color:var(--muted);white-space:normal}
tr.total td{font-weight:700;border-top:2px solid #999}
tr.subtotal td{font-weight:600;border-top:1px solid #999}
tr.group th{background:#f6f8fa;font-size:.95rem}
tr.outside td{font-style:italic;color:var(--muted)}
table.costs{font-size:.95rem}
.scroll{overflow-x:auto}
.note{background:#fff8e1;border-left:5px solid #e6ab02;padding:.6rem .9rem;margin:.6rem 0;font-size:.95rem}
.note.error{background:#fdecea;border-left-color:var(--bad)}
.missing{color:var(--bad);font-style:italic}
.uncertain{color:var(--warn);font-weight:600}
details summary{cursor:pointer;font-weight:600;color:var(--accent);margin:.4rem 0}
dl.methods{display:grid;grid-template-columns:minmax(12rem,18rem) 1fr;gap:.3rem 1rem;margin:.4rem 0}
dl.methods dt{font-weight:600}dl.methods dd{margin:0}
code{font-size:.85em;background:#f0f2f4;padding:0 .25em;border-radius:3px;word-break:break-all}
footer{color:var(--muted);font-size:.85rem;text-align:center;padding:1rem}
@media print{nav{display:none}section{break-inside:avoid}}
@media (max-width:700px){html{font-size:16px}main{padding:.5rem}}
"""
