/** The widget's CSS, injected into its shadow root so the shop page and the widget cannot restyle each other. */
export const widgetStyles = `
:host{all:initial}
*{box-sizing:border-box}
.root{--accent:#ff6a00;--accent-text:#fff;font:14px/1.5 -apple-system,BlinkMacSystemFont,"Segoe UI","PingFang SC","Hiragino Sans GB","Microsoft YaHei","WenQuanYi Zen Hei","Noto Sans CJK SC",Roboto,Arial,sans-serif;color:#1f1f1f}
button{font:inherit;cursor:pointer}
.launcher{position:fixed;right:20px;bottom:20px;width:56px;height:56px;border-radius:50%;border:0;background:var(--accent);color:var(--accent-text);box-shadow:0 4px 14px rgba(0,0,0,.25);display:flex;align-items:center;justify-content:center;z-index:2147483000}
.launcher svg{width:26px;height:26px;fill:currentColor}
.launcher:focus-visible,.panel button:focus-visible,.panel textarea:focus-visible{outline:2px solid #1677ff;outline-offset:2px}
.badge{position:absolute;top:-2px;right:-2px;min-width:20px;height:20px;padding:0 5px;border-radius:10px;background:#f5222d;color:#fff;font-size:12px;line-height:20px;text-align:center}
.panel{position:fixed;right:20px;bottom:88px;width:370px;height:min(600px,calc(100vh - 110px));display:flex;flex-direction:column;background:#fff;border-radius:12px;box-shadow:0 8px 30px rgba(0,0,0,.22);overflow:hidden;z-index:2147483000}
.panel[hidden],.banner[hidden],.typing[hidden],.badge[hidden]{display:none}
.header{display:flex;align-items:center;gap:8px;padding:12px 14px;background:var(--accent);color:var(--accent-text)}
.title{flex:1;font-weight:600;font-size:15px;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}
.close{border:0;background:transparent;color:inherit;font-size:22px;line-height:1;padding:2px 6px}
.banner{padding:6px 12px;background:#fff1f0;color:#a8071a;font-size:13px;border-bottom:1px solid #ffccc7}
.list{flex:1;overflow-y:auto;padding:12px;background:#f5f6f8;display:flex;flex-direction:column;gap:10px}
.msg{display:flex;flex-direction:column;max-width:85%}
.msg[data-role=user]{align-self:flex-end;align-items:flex-end}
.msg[data-role=bot],.msg[data-role=agent]{align-self:flex-start;align-items:flex-start}
.label{font-size:12px;color:#8c8c8c;margin:0 4px 2px}
.bubble{padding:8px 12px;border-radius:12px;white-space:pre-wrap;word-break:break-word;overflow-wrap:anywhere}
.msg[data-role=user] .bubble{background:var(--accent);color:var(--accent-text);border-bottom-right-radius:4px}
.msg[data-role=bot] .bubble{background:#fff;border:1px solid #ececec;border-bottom-left-radius:4px}
.msg[data-role=agent] .bubble{background:#e6f4ff;border:1px solid #91caff;border-bottom-left-radius:4px}
.msg.pending .bubble{opacity:.65}
.msg.failed .bubble{background:#fff;color:#a8071a;border:1px solid #ffa39e}
.note{font-size:12px;color:#a8071a;margin:2px 4px 0}
.notice{align-self:center;font-size:12px;color:#8c8c8c;background:#fff;border-radius:10px;padding:4px 10px;text-align:center}
.card{margin-top:6px;background:#fff;border:1px solid #ececec;border-radius:10px;padding:10px 12px;min-width:200px}
.card-title{font-weight:600}
.card-subtitle{color:#8c8c8c;font-size:13px}
.card dl{margin:6px 0 0;display:grid;grid-template-columns:auto 1fr;gap:2px 10px;font-size:13px}
.card dt{color:#8c8c8c}
.card dd{margin:0}
.choices{display:flex;flex-wrap:wrap;gap:6px;margin-top:6px}
.choice{border:1px solid var(--accent);color:var(--accent);background:#fff;border-radius:16px;padding:4px 12px;font-size:13px}
.choice:hover{background:#fff4ec}
.typing{padding:0 14px 8px;background:#f5f6f8}
.typing span{display:inline-block;width:7px;height:7px;margin-right:4px;border-radius:50%;background:#bfbfbf;animation:kefu-blink 1.2s infinite ease-in-out}
.typing span:nth-child(2){animation-delay:.2s}
.typing span:nth-child(3){animation-delay:.4s}
@keyframes kefu-blink{0%,80%,100%{opacity:.3}40%{opacity:1}}
.composer{display:flex;align-items:flex-end;gap:8px;padding:10px;border-top:1px solid #f0f0f0;background:#fff}
.input{flex:1;resize:none;border:1px solid #d9d9d9;border-radius:8px;padding:8px 10px;font:inherit;max-height:120px;min-height:38px;color:inherit;background:#fff}
.send{border:0;border-radius:8px;background:var(--accent);color:var(--accent-text);padding:8px 14px;height:38px}
.send:disabled{opacity:.5;cursor:default}
@media (max-width:480px){
.panel{inset:0;width:100%;height:100%;border-radius:0}
.root.open .launcher{display:none}
.msg{max-width:90%}
}
@media (prefers-reduced-motion:reduce){.typing span{animation:none}}
`;
