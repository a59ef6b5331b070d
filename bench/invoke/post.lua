wrk.method = "POST"
wrk.body = '{"x":[1,2,3]}'
wrk.headers["Content-Type"] = "application/json"
