// A plotly FigureWidget whose first messages survive a slow browser (workbench.ui.figure).
//
// anywidget gives a model 2 s to load its module and run initialize(); past that it drops every
// message of the model, for good. plotly's module is 5 MB of JavaScript, evaluated anew for every
// figure: on a busy machine that takes longer, and the figure stays an empty plot. This module is
// small: initialize() only records the kernel's messages, plotly's module (the _bundle trait) is
// loaded once per page, outside that deadline, and the recorded messages are then replayed to it in
// order, before any view draws the figure.

const MESSAGES = [
  "_py2js_addTraces", "_py2js_deleteTraces", "_py2js_moveTraces",
  "_py2js_restyle", "_py2js_relayout", "_py2js_update", "_py2js_animate", "_py2js_removeLayoutProps",
  "_py2js_removeTraceProps",
];

function plotlyModule(model) {
  if (!globalThis.__wbPlotlyWidget) {
    const url = URL.createObjectURL(new Blob([model.get("_bundle")], { type: "text/javascript" }));
    globalThis.__wbPlotlyWidget = import(/* webpackIgnore: true */ url).finally(() => URL.revokeObjectURL(url));
  }
  return globalThis.__wbPlotlyWidget;
}

export default () => {
  let ready = null; // plotly's widget, its model initialised and the early messages replayed
  return {
    initialize({ model }) {
      const early = [];
      let recording = true;
      for (const name of MESSAGES) {
        model.on(`change:${name}`, () => {
          const value = model.get(name);
          if (recording && value !== null) early.push([name, value]);
        });
      }
      const replaying = {}; // the value plotly reads for a message while it is replayed
      const handlers = {};
      const proxy = {
        get: (key) => (key in replaying ? replaying[key] : model.get(key)),
        set: (key, value) => model.set(key, value),
        on: (event, callback) => {
          (handlers[event] ||= []).push(callback);
          model.on(event, callback);
        },
        off: (event, callback) => model.off(event, callback),
        save_changes: () => model.save_changes(),
        send: (...args) => model.send(...args),
      };
      ready = plotlyModule(model).then((mod) => {
        const widget = mod.default();
        widget.initialize({ model: proxy });
        // One synchronous pass: no message of the kernel comes in between.
        recording = false;
        for (const [name, value] of early) {
          replaying[name] = value;
          try {
            for (const callback of handlers[`change:${name}`] || []) callback();
          } finally {
            delete replaying[name];
          }
        }
        return widget;
      });
    },
    async render({ model, el }) {
      const widget = await ready;
      return widget.render({ model, el });
    },
  };
};
