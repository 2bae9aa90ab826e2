/**
 * The one stylesheet of the hosted pages, served by the app at
 * /assets/hosted.css (no third-party fonts or files). The tenant's colours
 * arrive as custom properties (theme.ts); every other colour pair here
 * reaches WCAG 2.1 AA contrast on white (#52525b 7.7:1, #b91c1c 6.5:1,
 * borders #71717a 4.8:1). Works from 320 px wide up (WCAG 2.2 SC 1.4.10):
 * names and addresses users, admins or upstreams wrote (a tenant's, a
 * client's, an email address) may have no break opportunity, so any word in
 * `main` that would not fit its line breaks anywhere, as the secret does;
 * `anywhere` rather than `break-word` also lets flex items (the buttons)
 * shrink below such a word.
 */
export const HOSTED_CSS = `*,*::before,*::after{box-sizing:border-box}
[hidden]{display:none!important}
html{-webkit-text-size-adjust:100%;text-size-adjust:100%}
body{margin:0;min-height:100vh;padding:1rem;background:#f4f4f5;color:#18181b;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;display:flex;flex-direction:column;align-items:center}
main{width:100%;max-width:28rem;margin:2rem 0;padding:2rem 1.5rem;background:#fff;border-radius:.75rem;box-shadow:0 1px 3px rgba(0,0,0,.12);overflow-wrap:anywhere}
@media (max-width:30rem){body{padding:0;background:#fff}main{margin:0;border-radius:0;box-shadow:none;padding:1.5rem 1rem}}
.brand{margin:0 0 1.5rem}
.brand img{display:block;height:40px;width:auto;max-width:100%}
.brand p{margin:0;font-size:1.125rem;font-weight:700}
h1{margin:0 0 1rem;font-size:1.5rem;line-height:1.25}
p{margin:0 0 1rem}
.muted{color:#52525b;font-size:.9375rem}
a{color:var(--link);text-underline-offset:.15em}
a:hover{text-decoration-thickness:2px}
form{margin:0 0 1rem}
.field{margin:0 0 1rem}
label{display:block;margin:0 0 .25rem;font-weight:600}
.hint{display:block;margin:.25rem 0 0;color:#52525b;font-size:.875rem}
input[type=email],input[type=password],input[type=text]{display:block;width:100%;min-height:2.75rem;padding:.5rem .75rem;border:1px solid #71717a;border-radius:.375rem;background:#fff;color:#18181b;font:inherit}
input[aria-invalid=true]{border-color:#b91c1c;border-width:2px}
input[readonly]{background:#f4f4f5}
.field-error{display:block;margin:.25rem 0 0;color:#b91c1c;font-size:.875rem;font-weight:600}
button,.button{display:flex;align-items:center;justify-content:center;width:100%;min-height:2.75rem;margin:0 0 .75rem;padding:.5rem 1rem;border:1px solid transparent;border-radius:.375rem;font:inherit;font-weight:600;text-align:center;text-decoration:none;cursor:pointer}
button[aria-disabled=true]{cursor:progress;opacity:.75}
.primary{background:var(--accent);color:var(--on-accent);border-color:var(--accent)}
.secondary{background:#fff;color:#18181b;border-color:#71717a}
.secondary:hover{background:#f4f4f5}
.primary:hover{filter:brightness(.95)}
:focus-visible{outline:3px solid var(--link);outline-offset:2px}
input:focus-visible{outline-offset:0}
.actions{display:flex;gap:.75rem}
.actions>*{flex:1}
.alert{margin:0 0 1rem;padding:.75rem 1rem;border-radius:.375rem;border:1px solid}
.alert.error{background:#fef2f2;border-color:#b91c1c;color:#7f1d1d}
.alert.info{background:#f0fdf4;border-color:#15803d;color:#14532d}
.divider{display:flex;align-items:center;gap:.75rem;margin:1.5rem 0 1rem;color:#52525b;font-size:.875rem}
.divider::before,.divider::after{content:"";flex:1;border-top:1px solid #d4d4d8}
ul.scopes{margin:0 0 1.5rem;padding-left:1.25rem}
ul.scopes li{margin:0 0 .25rem}
h2{margin:1.5rem 0 .75rem;font-size:1.125rem}
ul.factors{margin:0 0 1rem;padding:0;list-style:none}
ul.factors li{margin:0 0 .75rem;padding:.75rem;border:1px solid #d4d4d8;border-radius:.375rem}
ul.factors form,ul.factors button{margin:.5rem 0 0}
ul.factors details{margin:.5rem 0 0}
summary{cursor:pointer;color:var(--link);font-size:.9375rem}
.qr{width:12rem;max-width:100%;margin:0 auto 1rem}
.qr svg{display:block;width:100%;height:auto}
code{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
.secret{display:block;padding:.5rem .75rem;background:#f4f4f5;border-radius:.375rem;font-size:1.0625rem;letter-spacing:.05em;word-spacing:.25em;overflow-wrap:anywhere}
ul.codes{display:grid;gap:.5rem;margin:0 0 1rem;padding:0;list-style:none;font-size:1.0625rem}
.links{margin:1rem 0 0;font-size:.9375rem}
ul.entries{margin:0 0 1rem;padding:0;list-style:none}
ul.entries li{margin:0 0 .75rem}
ul.entries a{font-weight:600}
.links p{margin:0 0 .5rem}
@media (prefers-reduced-motion:no-preference){button,.button{transition:filter .1s}}
`;
