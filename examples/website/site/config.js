// Written by ../publish.sh. Without it the page calls the Slipway server it was loaded from
// (the website address minus "<bucket>.s3-website.") and the endpoint named "iris".
window.IRIS_CONFIG = window.IRIS_CONFIG || {};
