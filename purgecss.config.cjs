// WeUI cut down to the rules the resident pages use: `make css` writes static/vendor/weui/weui.purged.css (committed).
// Rerun it after a template, a script or Python code starts using a weui-* class it did not use before.
module.exports = {
  css: ["static/vendor/weui/weui.min.css"],
  // Every place a class name can come from: templates, our scripts (classList, innerHTML), and Python code that
  // renders fields with classes.
  content: [
    "portal/**/*.html", "complaints/**/*.html", "surveys/**/*.html", "oversight/**/*.html",
    "static/js/*.js",
    "portal/**/*.py", "complaints/**/*.py", "surveys/**/*.py", "oversight/**/*.py", "composition/**/*.py",
  ],
  // No page puts a weui-* class together from pieces (check with: grep -rn "weui-[a-z_-]*{{" --include=*.html .);
  // a class that one ever does goes here, e.g. /^weui-icon-/.
  safelist: [],
  fontFace: true,
  keyframes: true,
  variables: true,
  output: "static/vendor/weui/weui.purged.css",
};
