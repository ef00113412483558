module github.com/fanout-dev/fanout

go 1.25
